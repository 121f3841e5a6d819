//! The subscription trie: topic filters indexed by level so that routing one message costs
//! in proportion to the filters that could match it, not to every subscription.

use std::collections::HashMap;
use std::hash::Hash;

#[derive(Debug)]
struct Node<K, V> {
    children: HashMap<String, Node<K, V>>,
    plus: Option<Box<Node<K, V>>>,
    /// Subscribers of `{path}/#`.
    hash: HashMap<K, V>,
    /// Subscribers of exactly `{path}`.
    here: HashMap<K, V>,
}

impl<K, V> Default for Node<K, V> {
    fn default() -> Self {
        Self {
            children: HashMap::new(),
            plus: None,
            hash: HashMap::new(),
            here: HashMap::new(),
        }
    }
}

impl<K, V> Node<K, V> {
    fn is_empty(&self) -> bool {
        self.children.is_empty()
            && self.plus.is_none()
            && self.hash.is_empty()
            && self.here.is_empty()
    }
}

/// Topic filters with a value per subscriber key (e.g. client id → subscription options).
#[derive(Debug)]
pub struct SubscriptionTrie<K, V> {
    root: Node<K, V>,
    len: usize,
}

impl<K, V> Default for SubscriptionTrie<K, V> {
    fn default() -> Self {
        Self {
            root: Node::default(),
            len: 0,
        }
    }
}

impl<K: Eq + Hash + Clone, V> SubscriptionTrie<K, V> {
    /// An empty trie.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of (filter, key) subscriptions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no subscription is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Subscribes `key` to `filter` (a valid filter) with `value`; returns the value it replaces.
    pub fn insert(&mut self, filter: &str, key: K, value: V) -> Option<V> {
        let mut node = &mut self.root;
        let mut levels = filter.split('/').peekable();
        let slot = loop {
            let Some(level) = levels.next() else {
                break &mut node.here;
            };
            if level == "#" && levels.peek().is_none() {
                break &mut node.hash;
            }
            node = if level == "+" {
                node.plus.get_or_insert_with(Box::default)
            } else {
                node.children.entry(level.to_string()).or_default()
            };
        };
        let old = slot.insert(key, value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Unsubscribes `key` from `filter`; returns its value if it was subscribed.
    pub fn remove(&mut self, filter: &str, key: &K) -> Option<V> {
        let levels: Vec<&str> = filter.split('/').collect();
        let removed = remove_at(&mut self.root, &levels, key);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// The value of `key`'s subscription to exactly `filter`.
    pub fn get(&self, filter: &str, key: &K) -> Option<&V> {
        let mut node = &self.root;
        let mut levels = filter.split('/').peekable();
        while let Some(level) = levels.next() {
            if level == "#" && levels.peek().is_none() {
                return node.hash.get(key);
            }
            node = if level == "+" {
                node.plus.as_deref()?
            } else {
                node.children.get(level)?
            };
        }
        node.here.get(key)
    }

    /// Calls `visit` for every subscription whose filter matches `topic` (a valid name). A key
    /// subscribed through several matching filters is visited once per filter.
    pub fn for_each_match(&self, topic: &str, mut visit: impl FnMut(&K, &V)) {
        let levels: Vec<&str> = topic.split('/').collect();
        let dollar = topic.starts_with('$');
        walk(&self.root, &levels, dollar, &mut visit);
    }
}

fn walk<K, V>(
    node: &Node<K, V>,
    levels: &[&str],
    at_dollar_root: bool,
    visit: &mut impl FnMut(&K, &V),
) {
    // `#` matches the parent level too ("sport/#" matches "sport"), but never a `$` topic
    // from the root.
    if !at_dollar_root {
        for (k, v) in &node.hash {
            visit(k, v);
        }
    }
    let Some((level, rest)) = levels.split_first() else {
        for (k, v) in &node.here {
            visit(k, v);
        }
        return;
    };
    if let Some(child) = node.children.get(*level) {
        walk(child, rest, false, visit);
    }
    if !at_dollar_root {
        if let Some(plus) = &node.plus {
            walk(plus, rest, false, visit);
        }
    }
}

fn remove_at<K: Eq + Hash, V>(node: &mut Node<K, V>, levels: &[&str], key: &K) -> Option<V> {
    match levels {
        [] => node.here.remove(key),
        ["#"] => node.hash.remove(key),
        [level, rest @ ..] => {
            if *level == "+" {
                let plus = node.plus.as_deref_mut()?;
                let removed = remove_at(plus, rest, key);
                if plus.is_empty() {
                    node.plus = None;
                }
                removed
            } else {
                let child = node.children.get_mut(*level)?;
                let removed = remove_at(child, rest, key);
                if child.is_empty() {
                    node.children.remove(*level);
                }
                removed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::matches;
    use super::*;

    fn matched(trie: &SubscriptionTrie<String, u8>, topic: &str) -> Vec<(String, u8)> {
        let mut out = Vec::new();
        trie.for_each_match(topic, |k, v| out.push((k.clone(), *v)));
        out.sort();
        out
    }

    #[test]
    fn routes_like_the_matching_rules() {
        let filters = [
            "#", "+", "a", "a/#", "a/+", "a/b", "a/+/c", "+/b", "a/b/#", "$SYS/#", "$SYS/+", "+/+",
            "/+", "a//c", "a/+/#",
        ];
        let topics = [
            "a", "a/b", "a/b/c", "a//c", "b", "/x", "$SYS/x", "$SYS", "x/b", "a/x/c/d",
        ];
        let mut trie = SubscriptionTrie::new();
        for (i, filter) in filters.iter().enumerate() {
            trie.insert(filter, filter.to_string(), i as u8);
        }
        assert_eq!(trie.len(), filters.len());
        for topic in topics {
            let mut expected: Vec<(String, u8)> = filters
                .iter()
                .enumerate()
                .filter(|(_, f)| matches(f, topic))
                .map(|(i, f)| (f.to_string(), i as u8))
                .collect();
            expected.sort();
            assert_eq!(matched(&trie, topic), expected, "topic {topic}");
        }
    }

    #[test]
    fn insert_replaces_and_remove_prunes() {
        let mut trie = SubscriptionTrie::new();
        assert_eq!(trie.insert("a/+/c", "c1".to_string(), 1), None);
        assert_eq!(trie.insert("a/+/c", "c1".to_string(), 2), Some(1));
        assert_eq!(trie.insert("a/+/c", "c2".to_string(), 0), None);
        assert_eq!(trie.len(), 2);
        assert_eq!(trie.get("a/+/c", &"c1".to_string()), Some(&2));
        assert_eq!(trie.remove("a/+/c", &"c1".to_string()), Some(2));
        assert_eq!(trie.remove("a/+/c", &"c1".to_string()), None);
        assert_eq!(trie.remove("a/b/c", &"c2".to_string()), None);
        assert_eq!(trie.remove("a/+/c", &"c2".to_string()), Some(0));
        assert!(trie.is_empty());
        assert!(trie.root.is_empty(), "empty branches are pruned");
        trie.insert("x/#", "c".to_string(), 1);
        assert_eq!(trie.remove("x/#", &"c".to_string()), Some(1));
        assert!(trie.root.is_empty());
    }
}
