//! The fast path for blocks without quote characters, which most numeric
//! files are: records are lines and fields are the bytes between delimiters,
//! found with `memchr`, so nothing is copied. The result is the same as the
//! general CSV reader's (checked by a test over generated blocks): blank
//! lines are skipped, `\r\n` ends a line, and fields are trimmed of ASCII
//! whitespace.

use memchr::{memchr, memchr2_iter, memchr_iter};

/// Whether `block` can take the fast path: no quotes, and every `\r` is part
/// of a `\r\n` (a lone `\r` ends a record in CSV, which this path does not
/// model).
pub(super) fn is_plain(block: &[u8]) -> bool {
    memchr(b'"', block).is_none() && memchr_iter(b'\r', block).all(|i| block.get(i + 1) == Some(&b'\n'))
}

/// Calls `each(line, fields)` for every record of a plain block, `line`
/// counted from 1 at the block's start, `fields` trimmed; stops at the first
/// error.
pub(super) fn for_each_record<E>(
    block: &[u8],
    delimiter: u8,
    mut each: impl FnMut(u64, &[&[u8]]) -> Result<(), E>,
) -> Result<(), E> {
    let mut fields: Vec<&[u8]> = Vec::new();
    let (mut line, mut line_start, mut field_start) = (0, 0, 0);
    // One vectorized scan finds both the field and the record ends.
    for end in memchr2_iter(delimiter, b'\n', block) {
        fields.push(block[field_start..end].trim_ascii());
        field_start = end + 1;
        if block[end] == b'\n' {
            line += 1;
            if !is_blank(&block[line_start..end]) {
                each(line, &fields)?;
            }
            fields.clear();
            line_start = end + 1;
        }
    }
    if line_start < block.len() {
        fields.push(block[field_start..].trim_ascii());
        each(line + 1, &fields)?;
    }
    Ok(())
}

/// Whether a line (without its `\n`) is empty, which CSV skips.
fn is_blank(line: &[u8]) -> bool {
    line.is_empty() || line == b"\r"
}

/// Number of newlines in `bytes` (for line numbers in messages).
pub(super) fn count_lines(bytes: &[u8]) -> u64 {
    memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(block: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        for_each_record(block, b',', |line, fields| {
            out.push((line, fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()));
            Ok::<(), ()>(())
        })
        .unwrap();
        out
    }

    #[test]
    fn plain_blocks_have_no_quotes_and_no_lone_carriage_returns() {
        assert!(is_plain(b"a,b\r\n1,2\n"));
        assert!(!is_plain(b"a,\"b\"\n"));
        assert!(!is_plain(b"a,b\r1,2\n"));
        assert!(!is_plain(b"a,b\r"));
    }

    #[test]
    fn lines_are_records_and_blank_lines_are_skipped_but_counted() {
        // Lines 2 and 4 are blank; line 5 has no newline.
        let got = records(b" a , b\r\n\n1,\n\r\n 2 ,3");
        let want = vec![
            (1, vec!["a".into(), "b".into()]),
            (3, vec!["1".into(), "".into()]),
            (5, vec!["2".into(), "3".into()]),
        ];
        assert_eq!(got, want);
    }

    /// The general reader's records of `block`, as the parser sees them.
    fn csv_records(block: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut reader =
            ::csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(::csv::Trim::All).from_reader(block);
        let mut out = Vec::new();
        for record in reader.byte_records() {
            let record = record.unwrap();
            let fields = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
            out.push((record.position().unwrap().line(), fields));
        }
        out
    }

    #[test]
    fn the_fast_path_reads_what_the_general_reader_reads() {
        let pieces: [&[u8]; 9] = [b"1", b"x", b" ", b"\t", b",", b",", b"\n", b"\r\n", b"-2.5"];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut block = Vec::new();
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                block.extend_from_slice(pieces[(state % pieces.len() as u64) as usize]);
            }
            assert!(is_plain(&block));
            let (fast, general) = (records(&block), csv_records(&block));
            let fields = |r: &[(u64, Vec<String>)]| r.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>();
            assert_eq!(fields(&fast), fields(&general), "{:?}", String::from_utf8_lossy(&block));
            // The csv crate counts the `\n` of a `\r\n` towards the next record's line, so
            // its raw line numbers after a `\r\n` are one short (`parse::line_of` corrects them).
            if !block.contains(&b'\r') {
                assert_eq!(fast, general, "{:?}", String::from_utf8_lossy(&block));
            }
        }
    }

    #[test]
    fn lines_are_counted_with_memchr() {
        assert_eq!(count_lines(b"a\nb\n\nc"), 3);
        assert_eq!(count_lines(b""), 0);
    }
}
