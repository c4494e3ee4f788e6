//! What each input's parser checks, as the OpenAPI document states it. Every area declares,
//! beside its input types and their parsers, a table of [`Documented`] fields; the document
//! applies them to the derived schemas (`openapi::conventions`), and the property-based run
//! (`scripts/fuzz.sh`) holds the two together: a request the schema allows must not be refused
//! as invalid, and one it forbids must be.

/// A lower-case UUID, as every id is written.
pub const ID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// Text with at least one visible character (tab and newline allowed), as `validate::labels`
/// and the other trimmed-text parsers want it.
pub const NON_BLANK_PATTERN: &str = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$";

/// How one field is checked.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// One line with a visible character, at most this many characters (`validate::name`).
    Line(usize),
    /// Text (tab and newline allowed), at most this many characters.
    Text(usize),
    /// Text with a visible character, at most this many characters.
    NonBlank(usize),
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// An integer in this range, inclusive.
    Range(i64, i64),
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 time with an offset.
    DateTime,
    /// An id: a lower-case UUID.
    Id,
    /// An id, or empty for none.
    IdOrEmpty,
    /// An email address.
    Email,
    /// An absolute http(s) URL of at most this many characters.
    Url(usize),
    /// An IANA time-zone name known to Herald's time-zone database.
    TimeZone,
    /// A BCP 47 language tag (`validate::locale`).
    Locale,
    /// A secret (a password): `min` to `max` characters, not only spaces.
    Secret(usize, usize),
    /// A string matching this pattern, at most this many characters.
    Pattern(&'static str, usize),
    /// A list of `min` to `max` items, each checked by the rule.
    Items(usize, usize, &'static Rule),
    /// A list of any length, each item checked by the rule.
    Each(&'static Rule),
    /// Nothing more than the derived schema says (the items of a list of objects).
    Keep,
}

/// One row of an area's table: a field of one input schema and its rule, or fields one
/// operation requires though its input type leaves them optional (a create that needs what an
/// update may leave out).
#[derive(Debug, Clone, Copy)]
pub enum Documented {
    Field {
        schema: &'static str,
        field: &'static str,
        rule: Rule,
    },
    Required {
        route: &'static str,
        fields: &'static [&'static str],
    },
    Query {
        route: &'static str,
        name: &'static str,
        rule: Rule,
    },
    /// Fields one operation refuses though its input type has them (an update's `version`).
    Omitted {
        route: &'static str,
        fields: &'static [&'static str],
    },
}

pub const fn field(schema: &'static str, field: &'static str, rule: Rule) -> Documented {
    Documented::Field { schema, field, rule }
}

pub const fn query(route: &'static str, name: &'static str, rule: Rule) -> Documented {
    Documented::Query { route, name, rule }
}

pub const fn omitted(route: &'static str, fields: &'static [&'static str]) -> Documented {
    Documented::Omitted { route, fields }
}

pub const fn required(route: &'static str, fields: &'static [&'static str]) -> Documented {
    Documented::Required { route, fields }
}
