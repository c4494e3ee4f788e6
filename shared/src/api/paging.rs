//! Cursor paging shared by every list: a `limit` of 1 to 100 (50 by default), one row more
//! fetched than shown, and the last shown id as the next cursor.

use super::Request;
use crate::error::AppError;

/// The `limit` query parameter.
pub fn limit(req: &Request) -> Result<i64, AppError> {
    match req.query_param("limit") {
        None => Ok(50),
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| AppError::field("limit", "must be 1 to 100")),
    }
}

/// `items` were fetched with `LIMIT limit + 1`: keeps `limit` of them and answers the cursor
/// of the next page, if there is one.
pub fn next_cursor<T>(items: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> &str) -> Option<String> {
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|item| id(item).to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_are_bounded() {
        assert_eq!(limit(&Request::new("GET", "/x")).unwrap(), 50);
        assert_eq!(limit(&Request::new("GET", "/x?limit=100")).unwrap(), 100);
        assert!(limit(&Request::new("GET", "/x?limit=0")).is_err());
        assert!(limit(&Request::new("GET", "/x?limit=abc")).is_err());
    }

    #[test]
    fn the_extra_row_makes_a_cursor() {
        let mut v = vec!["a", "b", "c"];
        assert_eq!(next_cursor(&mut v, 2, |s| s), Some("b".into()));
        assert_eq!(v, ["a", "b"]);
        assert_eq!(next_cursor(&mut v, 2, |s| s), None);
    }
}
