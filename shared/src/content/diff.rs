//! Word-level diff between two versions of a post's text, with Myers' algorithm in linear
//! space (the `similar` crate). Its time grows with the texts' length times the number of
//! edits, so any viewer could make the server spin on two long, unrelated versions: the number
//! of edits is bounded first, cheaply, and past the bound the texts are reported as replaced
//! wholesale, which is also what a reader makes of that many changes.

use serde::Serialize;
use similar::{capture_diff_slices, Algorithm, DiffTag};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Equal,
    Insert,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Chunk {
    pub op: Op,
    pub text: String,
}

/// Splits into words with their trailing whitespace, so joining the chunks restores the text.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            out.push(&s[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Beyond this many tokens a side, the texts are reported as replaced wholesale.
const MAX_TOKENS: usize = 20_000;
/// Beyond this many inserted and deleted words, likewise: the diff would cost time
/// proportional to length × edits and tell the reader nothing a replacement does not.
const MAX_EDITS: usize = 1_000;

pub fn diff(old: &str, new: &str) -> Vec<Chunk> {
    let (a, b) = (tokens(old), tokens(new));
    let wholesale = || {
        [(Op::Delete, old), (Op::Insert, new)]
            .into_iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(op, t)| Chunk { op, text: t.to_string() })
            .collect()
    };
    if a.len() > MAX_TOKENS || b.len() > MAX_TOKENS {
        return wholesale();
    }
    // Words become numbers once, so every comparison below is one integer comparison.
    let mut ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::with_capacity(a.len() + b.len());
    let mut ia = Vec::with_capacity(a.len());
    let mut ib = Vec::with_capacity(b.len());
    for (words, out) in [(&a, &mut ia), (&b, &mut ib)] {
        for w in words.iter() {
            let next = ids.len() as u32;
            out.push(*ids.entry(*w).or_insert(next));
        }
    }
    if edit_distance_within(&ia, &ib, MAX_EDITS).is_none() {
        return wholesale();
    }
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut push = |op: Op, words: &[&str]| {
        if words.is_empty() {
            return;
        }
        match chunks.last_mut() {
            Some(last) if last.op == op => words.iter().for_each(|w| last.text.push_str(w)),
            _ => chunks.push(Chunk { op, text: words.concat() }),
        }
    };
    for op in capture_diff_slices(Algorithm::Myers, &ia, &ib) {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        match op.tag() {
            DiffTag::Equal => push(Op::Equal, &a[old_range]),
            DiffTag::Delete => push(Op::Delete, &a[old_range]),
            DiffTag::Insert => push(Op::Insert, &b[new_range]),
            // Deletions first: "[-old][+new]" reads naturally.
            DiffTag::Replace => {
                push(Op::Delete, &a[old_range]);
                push(Op::Insert, &b[new_range]);
            }
        }
    }
    chunks
}

/// The number of words inserted plus deleted between `a` and `b` when it is at most `max_d`:
/// the forward pass of Myers' algorithm, stopped at `max_d`, in O((n + m) + max_d²) time and
/// O(max_d) memory. Diagonals leaving the edit grid are never taken.
fn edit_distance_within<T: PartialEq>(a: &[T], b: &[T], max_d: usize) -> Option<usize> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let offset = max_d as isize + 1;
    // v[k + offset]: the furthest x reached on diagonal k (y = x - k), or None if unreachable.
    let mut v: Vec<Option<isize>> = vec![None; 2 * max_d + 3];
    let snake = |mut x: isize, k: isize| {
        while x < n && x - k < m && a[x as usize] == b[(x - k) as usize] {
            x += 1;
        }
        x
    };
    let start = snake(0, 0);
    if start >= n && start >= m {
        return Some(0);
    }
    v[offset as usize] = Some(start);
    // Step d writes the diagonals of d's parity and reads only the others: one array serves.
    for d in 1..=max_d as isize {
        let mut k = -d;
        while k <= d {
            let idx = (k + offset) as usize;
            // From diagonal k + 1 by a downward move (an insertion: y grows), or from k - 1 by
            // a move right (a deletion: x grows), staying inside the grid.
            let down = v[idx + 1].filter(|&x| x - k <= m);
            let right = v[idx - 1].map(|x| x + 1).filter(|&x| x <= n);
            v[idx] = match down.max(right) {
                Some(x) => {
                    let x = snake(x, k);
                    if x >= n && x - k >= m {
                        return Some(d as usize);
                    }
                    Some(x)
                }
                None => None,
            };
            k += 2;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(chunks: &[Chunk]) -> String {
        chunks
            .iter()
            .map(|c| match c.op {
                Op::Equal => c.text.clone(),
                Op::Insert => format!("[+{}]", c.text),
                Op::Delete => format!("[-{}]", c.text),
            })
            .collect()
    }

    #[test]
    fn a_changed_word_is_one_delete_and_one_insert() {
        assert_eq!(render(&diff("Hello big world", "Hello small world")), "Hello [-big ][+small ]world");
    }

    #[test]
    fn both_sides_are_restored_from_the_chunks() {
        let (old, new) =
            ("Launch day! Our new roast is here.\nTry it", "Launch week! Our roast is finally here.\nTry it now");
        let d = diff(old, new);
        let side = |skip: Op| d.iter().filter(|c| c.op != skip).map(|c| c.text.as_str()).collect::<String>();
        assert_eq!(side(Op::Insert), old);
        assert_eq!(side(Op::Delete), new);
    }

    /// A tiny deterministic generator, so the property below needs no extra crate.
    fn words(seed: &mut u64, n: usize, vocabulary: u64) -> Vec<u64> {
        (0..n)
            .map(|_| {
                *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (*seed >> 33) % vocabulary
            })
            .collect()
    }

    #[test]
    fn the_bounded_distance_agrees_with_the_full_diff() {
        let mut seed = 7;
        for round in 0..400 {
            let (n, m) = (round % 23, (round * 7) % 19);
            let (a, b) = (words(&mut seed, n, 4), words(&mut seed, m, 4));
            let full: usize = capture_diff_slices(Algorithm::Myers, &a, &b)
                .iter()
                .map(|op| match op.tag() {
                    DiffTag::Equal => 0,
                    _ => op.old_range().len() + op.new_range().len(),
                })
                .sum();
            assert_eq!(edit_distance_within(&a, &b, 64), Some(full), "{a:?} {b:?}");
            if full > 0 {
                assert_eq!(edit_distance_within(&a, &b, full - 1), None, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn unrelated_long_texts_are_replaced_wholesale() {
        let mut seed = 3;
        let text = |seed: &mut u64| words(seed, 4000, 3000).iter().map(|w| format!("w{w} ")).collect::<String>();
        let (old, new) = (text(&mut seed), text(&mut seed));
        let reversed: String = tokens(&old).into_iter().rev().collect();
        for other in [&new, &reversed] {
            let d = diff(&old, other);
            assert_eq!(d.iter().map(|c| c.op.clone()).collect::<Vec<_>>(), vec![Op::Delete, Op::Insert]);
        }
    }

    #[test]
    fn identical_texts_are_one_equal_chunk() {
        assert_eq!(diff("same text", "same text"), vec![Chunk { op: Op::Equal, text: "same text".into() }]);
        assert!(diff("", "").is_empty());
    }
}
