//! Cutting a CSV byte stream into blocks that end on a record boundary, so
//! that each block can be parsed on its own thread.

use std::io::Read;

/// Bytes read for one block (more when a record is longer).
pub(super) const BLOCK_BYTES: usize = 4 << 20;

/// Reads `reader` a block at a time; each block holds whole records.
pub(super) struct Blocks<R> {
    reader: R,
    /// Bytes read past the last block's final record.
    carry: Vec<u8>,
    /// Buffers of parsed blocks, to be filled again (fresh memory costs a page fault per 4 KB).
    spare: Vec<Vec<u8>>,
    done: bool,
    /// Bytes handed out so far.
    pub(super) consumed: u64,
}

impl<R: Read> Blocks<R> {
    pub(super) fn new(reader: R) -> Blocks<R> {
        Blocks { reader, carry: Vec::new(), spare: Vec::new(), done: false, consumed: 0 }
    }

    /// Hands back a block's buffer once it is parsed.
    pub(super) fn recycle(&mut self, block: Vec<u8>) {
        self.spare.push(block);
    }

    /// The next block, `None` at the end of the input.
    pub(super) fn next_block(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        loop {
            if self.done {
                let rest = std::mem::take(&mut self.carry);
                self.consumed += rest.len() as u64;
                return Ok((!rest.is_empty()).then_some(rest));
            }
            let mut block = self.spare.pop().unwrap_or_default();
            block.clear();
            block.append(&mut self.carry);
            block.reserve(BLOCK_BYTES);
            let n = (&mut self.reader).take(BLOCK_BYTES as u64).read_to_end(&mut block)?;
            self.done = n == 0;
            match last_record_end(&block) {
                Some(end) if !self.done => {
                    self.carry.extend_from_slice(&block[end..]);
                    block.truncate(end);
                    self.consumed += block.len() as u64;
                    return Ok(Some(block));
                }
                _ => self.carry = block,
            }
        }
    }
}

/// Just past the last newline of `bytes` that is outside a quoted field
/// (`bytes` starts at a record boundary), or `None` when there is none.
fn last_record_end(bytes: &[u8]) -> Option<usize> {
    if !bytes.contains(&b'"') {
        // Without quotes every newline ends a record: look from the end.
        return bytes.iter().rposition(|&b| b == b'\n').map(|i| i + 1);
    }
    let mut quoted = false;
    let mut end = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // A doubled quote inside a field toggles twice: no change.
            b'"' => quoted = !quoted,
            b'\n' if !quoted => end = Some(i + 1),
            _ => {}
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ends_skip_quoted_newlines() {
        assert_eq!(last_record_end(b"a,b\n1,2\n3"), Some(8));
        assert_eq!(last_record_end(b"a,\"x\ny\"\n\"p\nq"), Some(8));
        assert_eq!(last_record_end(b"no newline"), None);
    }

    #[test]
    fn blocks_rejoin_to_the_input() {
        let text: Vec<u8> = (0..400_000).flat_map(|i| format!("{i},\"q\n{i}\"\n").into_bytes()).collect();
        let mut blocks = Blocks::new(&text[..]);
        let mut joined = Vec::new();
        let mut count = 0;
        while let Some(b) = blocks.next_block().unwrap() {
            assert!(b.ends_with(b"\"\n"), "a block ends on a record boundary");
            joined.extend(b);
            count += 1;
        }
        assert!(count > 1, "the input spans several blocks");
        assert_eq!(joined, text);
        assert_eq!(blocks.consumed, text.len() as u64);
    }
}
