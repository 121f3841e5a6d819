//! Every function crate depends on `shared/` crates only, never on another function: what
//! more than one function needs lives in `shared/`, so each function builds, deploys and
//! changes alone. Asked of `cargo tree`, the tool a reader would ask.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (two levels above this crate).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// The crates under `functions/`: name and directory.
fn function_crates(root: &Path) -> Vec<(String, PathBuf)> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root.join("functions")).expect("functions/ is readable") {
        let dir = entry.expect("a directory entry").path();
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = text
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .map(|name| name.trim_matches('"').to_string())
            .expect("a package name");
        names.push((name, dir));
    }
    names.sort();
    names
}

#[test]
fn no_function_crate_depends_on_another() {
    let root = workspace();
    let functions_dir = root.join("functions");
    let crates = function_crates(&root);
    assert!(crates.len() >= 5, "found only {crates:?}");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (name, own) in &crates {
        let output = Command::new(&cargo)
            .current_dir(&root)
            .args(["tree", "--offline", "--locked", "--prefix", "none"])
            .args(["--edges", "normal,build,dev", "--format", "{p}", "-p", name])
            .output()
            .expect("cargo tree runs");
        assert!(
            output.status.success(),
            "cargo tree -p {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8_lossy(&output.stdout);
        let others: Vec<&str> = tree
            .lines()
            .filter(|line| line.contains(&*functions_dir.to_string_lossy()))
            .filter(|line| !line.contains(&format!("({})", own.display())))
            .collect();
        assert!(
            others.is_empty(),
            "{name} depends on other functions: {others:?}"
        );
    }
}
