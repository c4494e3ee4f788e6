//! Word-level diff between two versions of a post's text: posts are short, so a longest
//! common subsequence over words is exact and cheap enough.

use serde::Serialize;
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
const MAX_TOKENS: usize = 4000;

pub fn diff(old: &str, new: &str) -> Vec<Chunk> {
    let (a, b) = (tokens(old), tokens(new));
    if a.len() > MAX_TOKENS || b.len() > MAX_TOKENS {
        return [(Op::Delete, old), (Op::Insert, new)]
            .into_iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(op, t)| Chunk { op, text: t.to_string() })
            .collect();
    }
    // lcs[i][j]: length of the common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut push = |op: Op, text: &str| match chunks.last_mut() {
        Some(last) if last.op == op => last.text.push_str(text),
        _ => chunks.push(Chunk { op, text: text.to_string() }),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            push(Op::Equal, a[i]);
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Deletions first: "[-old][+new]" reads naturally.
            push(Op::Delete, a[i]);
            i += 1;
        } else {
            push(Op::Insert, b[j]);
            j += 1;
        }
    }
    chunks
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

    #[test]
    fn identical_texts_are_one_equal_chunk() {
        assert_eq!(diff("same text", "same text"), vec![Chunk { op: Op::Equal, text: "same text".into() }]);
        assert!(diff("", "").is_empty());
    }
}
