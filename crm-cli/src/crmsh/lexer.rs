//! Splits crm shell input into statements and tokens the way crmsh reads it:
//! a trailing backslash continues a line, `#` at the start of a line is a
//! comment (kept: crmsh attaches it to the next object), and words are split
//! shell-style, so `a="x y"` is the single token `a=x y`.

use super::error::CrmError;

/// One statement of input: its first line number (1-based), its tokens, the
/// text as written (for error messages) and the comments just before it.
#[derive(Debug, Clone, Default)]
pub struct Statement {
    pub line: usize,
    pub text: String,
    pub tokens: Vec<String>,
    pub comments: Vec<String>,
}

/// Splits a whole file (or one command line) into statements.
pub fn statements(input: &str) -> Result<Vec<Statement>, CrmError> {
    let mut out = Vec::new();
    let mut comments = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in input.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim_end_matches('\r');
        if pending.is_none() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with('#') {
                comments.push(t.to_string());
                continue;
            }
        }
        let (start, mut text) = pending.take().unwrap_or((lineno, String::new()));
        let (body, continued) = match line.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (line, false),
        };
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(body.trim());
        if continued {
            pending = Some((start, text));
            continue;
        }
        let tokens = split(&text).map_err(|msg| CrmError::syntax(start, "", &msg, &text))?;
        out.push(Statement { line: start, text, tokens, comments: std::mem::take(&mut comments) });
    }
    if let Some((start, text)) = pending {
        let tokens = split(&text).map_err(|msg| CrmError::syntax(start, "", &msg, &text))?;
        out.push(Statement { line: start, text, tokens, comments });
    }
    Ok(out)
}

/// Shell-style word splitting: single quotes are literal, double quotes allow
/// `\"` and `\\`, quotes may appear inside a word.
pub fn split(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    tokens.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        tokens.push(cur);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_continuations() {
        let s =
            statements("# c\nprimitive d1 Dummy \\\n\tparams a=\"x y\" b='q' c=\"w \\\"d\\\"\"\n").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].line, 2);
        assert_eq!(s[0].comments, vec!["# c"]);
        assert_eq!(s[0].tokens, vec!["primitive", "d1", "Dummy", "params", "a=x y", "b=q", "c=w \"d\""]);
    }
}
