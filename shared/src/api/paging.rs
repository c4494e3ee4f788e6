//! Cursor paging shared by every list: a `limit` of 1 to 100 (50 by default), one row more
//! fetched than shown, and a cursor naming the last row shown. A list ordered by id (UUIDv7,
//! so by creation) takes that id as its cursor; a list ordered by another key first (a name, a
//! join time) takes an opaque token carrying both, so the next page starts exactly after it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::Request;
use crate::error::{AppError, FieldError};
use crate::sql::Row;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

/// The paging parameters every list takes.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PageQuery {
    /// The `nextCursor` of the page before; absent for the first page.
    cursor: Option<String>,
    /// How many items per page: 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

const LIMIT: &str = "must be 1 to 100";
const CURSOR: &str = "must be the nextCursor of an earlier page";

/// The `limit` query parameter.
pub fn limit(req: &Request) -> Result<i64, AppError> {
    parse_limit(req).map_err(|e| AppError::Validation(vec![e]))
}

fn parse_limit(req: &Request) -> Result<i64, FieldError> {
    match req.query_param("limit") {
        None => Ok(50),
        Some(l) => {
            l.parse::<i64>().ok().filter(|l| (1..=100).contains(l)).ok_or_else(|| FieldError::new("limit", LIMIT))
        }
    }
}

/// An id as Herald makes them: UUID text, hyphenated.
fn is_id(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

/// A page of a list ordered by id: `after` is the id of the last row already shown ("" on
/// the first page).
#[derive(Debug)]
pub struct ById {
    pub limit: i64,
    pub after: String,
}

/// `limit` and `cursor` of a list ordered by id; both are checked before either is refused.
pub fn by_id(req: &Request) -> Result<ById, AppError> {
    let limit = parse_limit(req);
    let after = match req.query_param("cursor").unwrap_or_default() {
        c if c.is_empty() || is_id(&c) => Ok(c),
        _ => Err(FieldError::new("cursor", CURSOR)),
    };
    match (limit, after) {
        (Ok(limit), Ok(after)) => Ok(ById { limit, after }),
        (limit, after) => Err(AppError::Validation(limit.err().into_iter().chain(after.err()).collect())),
    }
}

/// A page of a list ordered by a key, then by id: `after` is the key and id of the last row
/// already shown.
#[derive(Debug)]
pub struct ByKey {
    pub limit: i64,
    pub after: Option<(String, String)>,
}

/// `limit` and `cursor` of a list ordered by a key first.
pub fn by_key(req: &Request) -> Result<ByKey, AppError> {
    let limit = parse_limit(req);
    let after = match req.query_param("cursor").unwrap_or_default() {
        c if c.is_empty() => Ok(None),
        c => decode_keyed(&c).map(Some).ok_or_else(|| FieldError::new("cursor", CURSOR)),
    };
    match (limit, after) {
        (Ok(limit), Ok(after)) => Ok(ByKey { limit, after }),
        (limit, after) => Err(AppError::Validation(limit.err().into_iter().chain(after.err()).collect())),
    }
}

/// The key in a cursor that must be a number (a time, a version number).
pub fn int_key(key: &str) -> Result<i64, AppError> {
    key.parse().map_err(|_| AppError::field("cursor", CURSOR))
}

/// The range a calendar list asks for: `from` and `to`, required RFC 3339 times, `to` after
/// `from` and at most `max_days` later, in ms. Problems are added to `errors`, by name.
pub fn range(req: &Request, max_days: i64, errors: &mut Vec<FieldError>) -> (i64, i64) {
    let mut time = |name: &str| match req.query_param(name) {
        None => {
            errors.push(FieldError::new(name, "is required: an RFC 3339 time such as 2026-12-01T00:00:00Z"));
            None
        }
        Some(t) => t
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .map_err(|_| {
                errors.push(FieldError::new(name, "must be an RFC 3339 time such as 2026-12-01T00:00:00Z"));
            })
            .ok(),
    };
    let (from, to) = (time("from"), time("to"));
    let (Some(from), Some(to)) = (from, to) else { return (0, 0) };
    if to <= from {
        errors.push(FieldError::new("to", "must be after from"));
    } else if to - from > max_days * 24 * 3600 * 1000 {
        errors.push(FieldError::new("to", format!("must be at most {max_days} days after from")));
    }
    (from, to)
}

/// The opaque cursor of a row ordered by `key`, then by its `id`.
pub fn keyed(key: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{id}{key}"))
}

fn decode_keyed(cursor: &str) -> Option<(String, String)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (id, key) = (text.get(..36)?, text.get(36..)?);
    is_id(id).then(|| (key.to_string(), id.to_string()))
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

/// Rows fetched with `LIMIT limit + 1`, decoded: the first `limit` of them, and the cursor of
/// the next page (`cursor` of the last row shown) when the extra row says there is one.
pub fn page<T>(
    rows: &[Row],
    limit: i64,
    decode: impl Fn(&Row) -> Result<T, AppError>,
    cursor: impl Fn(&Row) -> Result<String, AppError>,
) -> Result<(Vec<T>, Option<String>), AppError> {
    let shown = &rows[..rows.len().min(limit as usize)];
    let next = match shown.last() {
        Some(last) if rows.len() > shown.len() => Some(cursor(last)?),
        _ => None,
    };
    Ok((shown.iter().map(decode).collect::<Result<_, _>>()?, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

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

    #[test]
    fn id_cursors_are_ids() {
        assert_eq!(by_id(&Request::new("GET", &format!("/x?cursor={ID}"))).unwrap().after, ID);
        assert_eq!(by_id(&Request::new("GET", "/x")).unwrap().after, "");
        match by_id(&Request::new("GET", "/x?cursor=abc&limit=0")) {
            Err(AppError::Validation(errors)) => assert_eq!(errors.len(), 2, "both named"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keyed_cursors_round_trip_any_key() {
        for key in ["", "Zoë & Co\n=", "1700000000000"] {
            let c = keyed(key, ID);
            let got = by_key(&Request::new("GET", &format!("/x?cursor={c}"))).unwrap().after;
            assert_eq!(got, Some((key.to_string(), ID.to_string())));
        }
        assert!(by_key(&Request::new("GET", "/x?cursor=bm90LWFuLWlk")).is_err());
        assert!(by_key(&Request::new("GET", "/x?cursor=%%%")).is_err());
        assert!(int_key("x").is_err());
    }
}
