//! Page sizes of the registry's list operations: `maxResults` and `pageSize` are 1–250 in the
//! model; when absent, [`DEFAULT_PAGE_SIZE`] items come back.

use super::error::RegistryResult;
use super::names::constraint_error;

/// Largest page a list operation returns (the model's maximum).
pub const MAX_PAGE_SIZE: usize = 250;
/// Page size when the request gives none.
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// The page size asked for in `field` (`maxResults` or `pageSize`), as sent in a query string.
///
/// # Errors
/// `InvalidRequestException` for text that is not a number between 1 and 250.
pub fn page_size(field: &str, value: Option<&str>) -> RegistryResult<usize> {
    let Some(text) = value else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    match text.parse::<i64>() {
        Ok(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => Ok(n as usize),
        _ => Err(constraint_error(
            field,
            text,
            &format!("Member must have value between 1 and {MAX_PAGE_SIZE}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size("maxResults", None).ok(), Some(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size("maxResults", Some("250")).ok(), Some(250));
        for bad in ["0", "251", "-1", "ten", ""] {
            assert!(page_size("maxResults", Some(bad)).is_err(), "{bad:?}");
        }
    }
}
