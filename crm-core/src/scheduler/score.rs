//! Scores with Pacemaker's arithmetic: `INFINITY` is 1,000,000 and absorbs, and
//! `-INFINITY` wins over `+INFINITY` ("can never run here" beats "must run here").

use std::fmt;

pub const INFINITY: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Score(pub i64);

impl Score {
    pub const ZERO: Score = Score(0);
    pub const INF: Score = Score(INFINITY);
    pub const NEG_INF: Score = Score(-INFINITY);

    /// Parses a score as Pacemaker does: `INFINITY`, `+INFINITY`, `-INFINITY`
    /// (any case, also `inf`), or an integer clamped to the infinities.
    /// `red`/`yellow`/`green` are node-health names, resolved by the caller.
    pub fn parse(s: &str) -> Option<Score> {
        let t = s.trim();
        let is = |word: &str| t.eq_ignore_ascii_case(word);
        if is("infinity") || is("+infinity") || is("inf") || is("+inf") {
            return Some(Score::INF);
        }
        if is("-infinity") || is("-inf") {
            return Some(Score::NEG_INF);
        }
        // Pacemaker reads the leading integer and ignores trailing garbage.
        let bytes = t.as_bytes();
        let mut end = 0;
        if end < bytes.len() && (bytes[end] == b'-' || bytes[end] == b'+') {
            end += 1;
        }
        let digits_start = end;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        if end == digits_start {
            return None;
        }
        let v: i128 = t[..end].parse().ok()?;
        Some(Score(v.clamp(-INFINITY as i128, INFINITY as i128) as i64))
    }

    /// Pacemaker's score addition.
    pub fn plus(self, other: Score) -> Score {
        if self.0 <= -INFINITY || other.0 <= -INFINITY {
            return Score::NEG_INF;
        }
        if self.0 >= INFINITY || other.0 >= INFINITY {
            return Score::INF;
        }
        Score((self.0 + other.0).clamp(-INFINITY, INFINITY))
    }

    pub fn is_inf(self) -> bool {
        self.0 >= INFINITY
    }
    pub fn is_neg_inf(self) -> bool {
        self.0 <= -INFINITY
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            v if v >= INFINITY => write!(f, "INFINITY"),
            v if v <= -INFINITY => write!(f, "-INFINITY"),
            v => write!(f, "{v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinities_absorb_and_minus_wins() {
        assert_eq!(Score::INF.plus(Score::NEG_INF), Score::NEG_INF);
        assert_eq!(Score(5).plus(Score::INF), Score::INF);
        assert_eq!(Score(999_999).plus(Score(5)), Score::INF);
        assert_eq!(Score::parse("-inf"), Some(Score::NEG_INF));
        assert_eq!(Score::parse("+INFINITY"), Some(Score::INF));
        assert_eq!(Score::parse("100abc"), Some(Score(100)));
        assert_eq!(Score::parse("abc"), None);
    }
}
