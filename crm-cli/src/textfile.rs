//! A document's text from a file: read into memory, or, for large files,
//! mapped: the pages come straight from the page cache, with nothing to copy
//! or clear (on 8 x 1,000 that is a fifth of the page faults of a run), and
//! dropping the map hands them back at once.

use std::path::Path;

use anyhow::{Context, Result};

/// Files at least this large are mapped.
const MAP_MIN_BYTES: u64 = 1 << 20;

pub enum TextFile {
    Read(String),
    Mapped(memmap2::Mmap),
}

impl TextFile {
    pub fn open(path: &Path) -> Result<TextFile> {
        let reading = || format!("reading {}", path.display());
        let file = std::fs::File::open(path).with_context(reading)?;
        let meta = file.metadata().with_context(reading)?;
        if meta.is_file() && meta.len() >= MAP_MIN_BYTES {
            // SAFETY: a read-only private mapping of a regular file, only ever
            // read. As for any reader of a file that another process rewrites
            // meanwhile, such a change can show through; `text` checks the
            // bytes are UTF-8 when it hands them out. Every page is read, so
            // all are mapped at once rather than fault by fault.
            if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
                return Ok(TextFile::Mapped(map));
            }
        }
        std::fs::read_to_string(path).map(TextFile::Read).with_context(reading)
    }

    /// The text, checked to be UTF-8.
    pub fn text(&self) -> Result<&str> {
        match self {
            TextFile::Read(s) => Ok(s),
            // CIBs are nearly always ASCII, which a plain byte scan confirms at
            // a fraction of a full UTF-8 check's cost.
            TextFile::Mapped(m) if m.is_ascii() => {
                // SAFETY: ASCII is valid UTF-8.
                Ok(unsafe { std::str::from_utf8_unchecked(m) })
            }
            TextFile::Mapped(m) => std::str::from_utf8(m).context("the file is not UTF-8 text"),
        }
    }
}

impl From<String> for TextFile {
    fn from(s: String) -> Self {
        TextFile::Read(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_are_read_and_large_ones_mapped_with_the_same_text() {
        let dir = std::env::temp_dir().join(format!("textfile-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("small.xml");
        std::fs::write(&small, "<cib/>").unwrap();
        let t = TextFile::open(&small).unwrap();
        assert!(matches!(t, TextFile::Read(_)));
        assert_eq!(t.text().unwrap(), "<cib/>");
        let large = dir.join("large.xml");
        let body = format!("<cib>{}</cib>", " ".repeat(MAP_MIN_BYTES as usize));
        std::fs::write(&large, &body).unwrap();
        let t = TextFile::open(&large).unwrap();
        assert!(matches!(t, TextFile::Mapped(_)));
        assert_eq!(t.text().unwrap(), body);
        std::fs::write(&large, [0xff; MAP_MIN_BYTES as usize]).unwrap();
        assert!(TextFile::open(&large).unwrap().text().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
