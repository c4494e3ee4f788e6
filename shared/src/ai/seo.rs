//! What an SEO analysis measures without a model: length, sentences, Flesch reading ease and
//! how the keywords are used; and the advice those measures give on their own.

use unicode_segmentation::UnicodeSegmentation;

use super::{KeywordUse, SeoAnalysis};

/// Syllables of an English word, by its groups of vowels (a silent final `e` aside): the usual
/// estimate behind readability scores.
fn syllables(word: &str) -> usize {
    let w: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    let vowel = |c: char| "aeiouy".contains(c);
    let mut groups = 0;
    let mut previous = false;
    for &c in &w {
        let v = vowel(c);
        if v && !previous {
            groups += 1;
        }
        previous = v;
    }
    if groups > 1 && w.last() == Some(&'e') && !w.ends_with(&['l', 'e']) {
        groups -= 1;
    }
    groups.max(1)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Measures `text` against `keywords`.
pub fn analyse(text: &str, keywords: &[String]) -> SeoAnalysis {
    let words: Vec<&str> = text.unicode_words().collect();
    let sentences: Vec<&str> = text.split_sentence_bounds().filter(|s| s.chars().any(char::is_alphanumeric)).collect();
    let (n_words, n_sentences) = (words.len().max(1) as f64, sentences.len().max(1) as f64);
    let n_syllables: usize = words.iter().map(|w| syllables(w)).sum();
    let reading_ease = 206.835 - 1.015 * (n_words / n_sentences) - 84.6 * (n_syllables as f64 / n_words);
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let opening: Vec<String> =
        sentences.first().map(|s| s.unicode_words().map(str::to_lowercase).collect()).unwrap_or_default();
    let occurrences = |phrase: &[String], within: &[String]| {
        if phrase.is_empty() || within.len() < phrase.len() {
            return 0;
        }
        within.windows(phrase.len()).filter(|w| *w == phrase).count()
    };
    let keywords: Vec<KeywordUse> = keywords
        .iter()
        .map(|k| {
            let phrase: Vec<String> = k.unicode_words().map(str::to_lowercase).collect();
            let count = occurrences(&phrase, &lower);
            KeywordUse {
                keyword: k.clone(),
                count: count as i64,
                density: round1(100.0 * (count * phrase.len()) as f64 / n_words),
                in_opening: occurrences(&phrase, &opening) > 0,
            }
        })
        .collect();
    let average = n_words / n_sentences;
    let mut issues = Vec::new();
    if words.len() < 50 {
        issues.push(format!(
            "The text has {} words: search engines favour at least 300 for a page, 50 for a post.",
            words.len()
        ));
    }
    if average > 20.0 {
        issues.push(format!("Sentences average {average:.0} words: aim for 20 or fewer."));
    }
    if reading_ease < 50.0 {
        issues.push(format!("Reading ease is {reading_ease:.0} (difficult): shorter words and sentences help."));
    }
    for k in &keywords {
        if k.count == 0 {
            issues.push(format!("\"{}\" does not appear: use it, ideally in the opening.", k.keyword));
        } else if !k.in_opening {
            issues.push(format!("\"{}\" is not in the opening sentence.", k.keyword));
        } else if k.density > 3.0 {
            issues.push(format!("\"{}\" is {:.1}% of the words: above 3% reads as stuffing.", k.keyword, k.density));
        }
    }
    SeoAnalysis {
        characters: text.chars().count() as i64,
        words: words.len() as i64,
        sentences: sentences.len() as i64,
        average_sentence_words: round1(average),
        reading_ease: round1(reading_ease),
        keywords,
        issues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_reads_easier_than_dense_text_and_keywords_are_counted_as_phrases() {
        let plain =
            analyse("The cat sat on the mat. It was a good day. We fed the cat.", &["the cat".into(), "dog".into()]);
        assert_eq!((plain.words, plain.sentences), (15, 3));
        assert!(plain.reading_ease > 90.0, "{plain:?}");
        assert_eq!(plain.keywords[0].count, 2);
        assert!(plain.keywords[0].in_opening);
        assert_eq!(plain.keywords[1].count, 0);
        assert!(plain.issues.iter().any(|i| i.contains("\"dog\" does not appear")));
        let dense = analyse(
            "Notwithstanding considerable organizational heterogeneity, interdisciplinary collaboration \
             necessitates comprehensive institutional accommodation of methodological idiosyncrasies.",
            &[],
        );
        assert!(dense.reading_ease < 0.0, "{dense:?}");
        assert!(dense.issues.iter().any(|i| i.contains("Reading ease")));
        assert_eq!(syllables("table"), 2);
        assert_eq!(syllables("make"), 1);
    }
}
