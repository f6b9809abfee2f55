//! A DEFLATE compressor whose output is bit-identical to Go's
//! `compress/flate` writer at levels 2-9 (`flate.NewWriter(w, level)`),
//! including `DefaultCompression` (level 6) and level 5, the level Go's
//! `archive/zip` uses for `zip.Deflate` entries (archive/zip/register.go).
//! Module zips the go command builds are written that way, so building ours
//! with this compressor makes the `.zip` bytes (not only the `h1:` hash)
//! equal to Go's.
//!
//! It implements the algorithm of Go's `compress/flate/deflate.go`
//! (`compressor.fillDeflate`, `deflate`, `findMatch`, the hash chains and
//! lazy matching, `close`), `huffman_bit_writer.go` (`writeBlock`: fixed,
//! dynamic or stored, whichever is smallest; `generateCodegen`;
//! `dynamicSize`), `huffman_code.go` (`huffmanEncoder.generate`,
//! `bitCounts`, `assignEncodingAndSize`) and `token.go`. It follows their
//! structure closely so that every tie-break matches; those files are
//! Copyright The Go Authors, BSD-style licence (Go's LICENSE file).
//!
//! Output depends only on the input bytes and on how they are split into
//! `write` calls in the rare case where a block boundary falls near the
//! point where the 64 KiB window slides (as in Go, where it depends on the
//! same thing); callers that must match Go byte for byte feed it the same
//! chunks Go's `io.Copy` would (32 KiB reads).

use std::io::{self, Write};

const WINDOW_SIZE: i64 = 1 << 15;
const WINDOW_MASK: i64 = WINDOW_SIZE - 1;
const BASE_MATCH_LENGTH: i64 = 3;
const MIN_MATCH_LENGTH: i64 = 4;
const MAX_MATCH_LENGTH: i64 = 258;
const BASE_MATCH_OFFSET: i64 = 1;
const MAX_FLATE_BLOCK_TOKENS: usize = 1 << 14;
const MAX_STORE_BLOCK_SIZE: usize = 65535;
const HASH_BITS: u32 = 17;
const HASH_SIZE: usize = 1 << HASH_BITS;
const HASH_MASK: u32 = (1 << HASH_BITS) - 1;
const MAX_HASH_OFFSET: i64 = 1 << 24;
const SKIP_NEVER: i64 = i32::MAX as i64;
const HASH_MUL: u32 = 0x1e35_a7bd;

const MAX_NUM_LIT: usize = 286;
const OFFSET_CODE_COUNT: usize = 30;
const END_BLOCK_MARKER: u32 = 256;
const LENGTH_CODES_START: usize = 257;
const CODEGEN_CODE_COUNT: usize = 19;
const BAD_CODE: u8 = 255;
const MATCH_TYPE: u32 = 1 << 30;
const LENGTH_SHIFT: u32 = 22;
const OFFSET_MASK: u32 = (1 << LENGTH_SHIFT) - 1;

/// Go's `DefaultCompression` (-1) means level 6.
pub const DEFAULT_COMPRESSION: i32 = -1;
/// The level Go's `archive/zip` deflates entries with.
pub const ARCHIVE_ZIP_LEVEL: i32 = 5;

#[derive(Clone, Copy)]
struct Level {
    good: i64,
    lazy: i64,
    nice: i64,
    chain: i64,
    fast_skip_hashing: i64,
}

/// Go's `levels` table for levels 2-9.
fn level_params(level: i32) -> Option<Level> {
    let (good, lazy, nice, chain, fast_skip_hashing) = match level {
        2 => (4, 0, 16, 8, 5),
        3 => (4, 0, 32, 32, 6),
        4 => (4, 4, 16, 16, SKIP_NEVER),
        5 => (8, 16, 32, 32, SKIP_NEVER),
        -1 | 6 => (8, 16, 128, 128, SKIP_NEVER),
        7 => (8, 32, 128, 256, SKIP_NEVER),
        8 => (32, 128, 258, 1024, SKIP_NEVER),
        9 => (32, 258, 258, 4096, SKIP_NEVER),
        _ => return None,
    };
    Some(Level {
        good,
        lazy,
        nice,
        chain,
        fast_skip_hashing,
    })
}

const LENGTH_EXTRA_BITS: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const LENGTH_BASE: [u32; 29] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 255,
];
const OFFSET_EXTRA_BITS: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const OFFSET_BASE: [u32; 30] = [
    0x000000, 0x000001, 0x000002, 0x000003, 0x000004, 0x000006, 0x000008, 0x00000c, 0x000010,
    0x000018, 0x000020, 0x000030, 0x000040, 0x000060, 0x000080, 0x0000c0, 0x000100, 0x000180,
    0x000200, 0x000300, 0x000400, 0x000600, 0x000800, 0x000c00, 0x001000, 0x001800, 0x002000,
    0x003000, 0x004000, 0x006000,
];
const CODEGEN_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

const fn build_length_codes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        let mut code = 0;
        while code + 1 < 28 && LENGTH_BASE[code + 1] <= x as u32 {
            code += 1;
        }
        t[x] = if x >= 255 { 28 } else { code as u8 };
        x += 1;
    }
    t
}

const fn build_offset_codes() -> [u8; 512] {
    // Offsets below 256 index it directly; larger ones by offset >> 7
    // (256 + that), as Go's offsetCode does with its 256-entry table.
    let mut t = [0u8; 512];
    let mut x = 0;
    while x < 512 {
        let off: u32 = if x < 256 {
            x as u32
        } else {
            ((x - 256) as u32) << 7
        };
        let mut code = 0;
        while code + 1 < 30 && OFFSET_BASE[code + 1] <= off {
            code += 1;
        }
        t[x] = code as u8;
        x += 1;
    }
    t
}

static LENGTH_CODES: [u8; 256] = build_length_codes();
static OFFSET_CODES: [u8; 512] = build_offset_codes();

/// The length code (0-28) for `xlength` = length - 3 (0-255).
fn length_code(xlength: u32) -> usize {
    usize::from(LENGTH_CODES[(xlength & 0xff) as usize])
}

/// The offset code (0-29) for `xoffset` = offset - 1 (below 32768).
fn offset_code(xoffset: u32) -> usize {
    if xoffset < 256 {
        usize::from(OFFSET_CODES[xoffset as usize])
    } else {
        usize::from(OFFSET_CODES[256 + ((xoffset >> 7) & 0xff) as usize])
    }
}

fn reverse_bits(number: u16, bit_length: u16) -> u16 {
    (number << (16 - bit_length)).reverse_bits()
}

#[derive(Clone, Copy, Default)]
struct HCode {
    code: u16,
    len: u16,
}

#[derive(Clone, Copy)]
struct LiteralNode {
    literal: u16,
    freq: i32,
}

#[derive(Clone, Copy, Default)]
struct LevelInfo {
    last_freq: i32,
    next_char_freq: i32,
    next_pair_freq: i32,
    needed: i32,
}

const MAX_BITS_LIMIT: usize = 16;

struct HuffmanEncoder {
    codes: Vec<HCode>,
    list: Vec<LiteralNode>,
}

impl HuffmanEncoder {
    fn new(size: usize) -> Self {
        Self {
            codes: vec![HCode::default(); size],
            list: Vec::with_capacity(MAX_NUM_LIT + 1),
        }
    }

    fn fixed_literal() -> Self {
        let mut h = Self::new(MAX_NUM_LIT);
        for ch in 0..MAX_NUM_LIT as u16 {
            let (bits, size) = match ch {
                0..=143 => (ch + 48, 8),
                144..=255 => (ch + 400 - 144, 9),
                256..=279 => (ch - 256, 7),
                _ => (ch + 192 - 280, 8),
            };
            h.codes[usize::from(ch)] = HCode {
                code: reverse_bits(bits, size),
                len: size,
            };
        }
        h
    }

    fn fixed_offset() -> Self {
        let mut h = Self::new(OFFSET_CODE_COUNT);
        for ch in 0..OFFSET_CODE_COUNT as u16 {
            h.codes[usize::from(ch)] = HCode {
                code: reverse_bits(ch, 5),
                len: 5,
            };
        }
        h
    }

    fn bit_length(&self, freq: &[i32]) -> i64 {
        freq.iter()
            .zip(&self.codes)
            .filter(|(f, _)| **f != 0)
            .map(|(f, c)| i64::from(*f) * i64::from(c.len))
            .sum()
    }

    /// Go's `bitCounts`: how many literals get each bit length, for a list
    /// sorted by increasing frequency with at least 3 entries.
    fn bit_counts(list: &mut Vec<LiteralNode>, mut max_bits: i32) -> [i32; 17] {
        let n = list.len() as i32;
        list.push(LiteralNode {
            literal: u16::MAX,
            freq: i32::MAX,
        });
        if max_bits > n - 1 {
            max_bits = n - 1;
        }
        let mb = max_bits as usize;
        let mut levels = [LevelInfo::default(); MAX_BITS_LIMIT + 1];
        let mut leaf_counts = [[0i32; MAX_BITS_LIMIT]; MAX_BITS_LIMIT];
        for level in 1..=mb {
            levels[level] = LevelInfo {
                last_freq: list[1].freq,
                next_char_freq: list[2].freq,
                next_pair_freq: list[0].freq.wrapping_add(list[1].freq),
                needed: 0,
            };
            leaf_counts[level][level] = 2;
            if level == 1 {
                levels[level].next_pair_freq = i32::MAX;
            }
        }
        levels[mb].needed = 2 * n - 4;
        let mut level = mb;
        loop {
            if levels[level].next_pair_freq == i32::MAX && levels[level].next_char_freq == i32::MAX
            {
                levels[level].needed = 0;
                levels[level + 1].next_pair_freq = i32::MAX;
                level += 1;
                continue;
            }
            let prev_freq = levels[level].last_freq;
            if levels[level].next_char_freq < levels[level].next_pair_freq {
                let next = leaf_counts[level][level] + 1;
                levels[level].last_freq = levels[level].next_char_freq;
                leaf_counts[level][level] = next;
                levels[level].next_char_freq = list[next as usize].freq;
            } else {
                levels[level].last_freq = levels[level].next_pair_freq;
                let (lower, upper) = leaf_counts.split_at_mut(level);
                upper[0][..level].copy_from_slice(&lower[level - 1][..level]);
                levels[level - 1].needed = 2;
            }
            levels[level].needed -= 1;
            if levels[level].needed == 0 {
                if level == mb {
                    break;
                }
                levels[level + 1].next_pair_freq = prev_freq.wrapping_add(levels[level].last_freq);
                level += 1;
            } else {
                while levels[level - 1].needed > 0 {
                    level -= 1;
                }
            }
        }
        list.pop();
        let mut bit_count = [0i32; 17];
        let counts = &leaf_counts[mb];
        for (bits, level) in (1..).zip((1..=mb).rev()) {
            bit_count[bits] = counts[level] - counts[level - 1];
        }
        bit_count
    }

    /// Go's `generate`: the length-limited canonical code for `freq`.
    fn generate(&mut self, freq: &[i32], max_bits: i32) {
        let mut list = std::mem::take(&mut self.list);
        list.clear();
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 {
                list.push(LiteralNode {
                    literal: i as u16,
                    freq: f,
                });
            } else {
                self.codes[i].len = 0;
            }
        }
        if list.len() <= 2 {
            for (i, node) in list.iter().enumerate() {
                self.codes[usize::from(node.literal)] = HCode {
                    code: i as u16,
                    len: 1,
                };
            }
            self.list = list;
            return;
        }
        list.sort_unstable_by_key(|node| (node.freq, node.literal));
        let bit_count = Self::bit_counts(&mut list, max_bits);
        let max = (max_bits.min(list.len() as i32 - 1)) as usize;
        // Go's assignEncodingAndSize.
        let mut code: u16 = 0;
        let mut end = list.len();
        for (n, &bits) in bit_count.iter().enumerate().take(max + 1) {
            code = code.wrapping_shl(1);
            if n == 0 || bits == 0 {
                continue;
            }
            let start = end - bits as usize;
            let chunk = &mut list[start..end];
            chunk.sort_unstable_by_key(|node| node.literal);
            for node in chunk.iter() {
                self.codes[usize::from(node.literal)] = HCode {
                    code: reverse_bits(code, n as u16),
                    len: n as u16,
                };
                code = code.wrapping_add(1);
            }
            end = start;
        }
        self.list = list;
    }
}

/// Go's `huffmanBitWriter`, writing into an in-memory buffer that the
/// compressor drains to the destination after each block.
struct BitWriter {
    out: Vec<u8>,
    bits: u64,
    nbits: u32,
    literal_freq: Vec<i32>,
    offset_freq: Vec<i32>,
    codegen_freq: [i32; CODEGEN_CODE_COUNT],
    codegen: Vec<u8>,
    literal_encoding: HuffmanEncoder,
    offset_encoding: HuffmanEncoder,
    codegen_encoding: HuffmanEncoder,
    fixed_literal: HuffmanEncoder,
    fixed_offset: HuffmanEncoder,
}

impl BitWriter {
    fn new() -> Self {
        Self {
            out: Vec::with_capacity(1 << 16),
            bits: 0,
            nbits: 0,
            literal_freq: vec![0; MAX_NUM_LIT],
            offset_freq: vec![0; OFFSET_CODE_COUNT],
            codegen_freq: [0; CODEGEN_CODE_COUNT],
            codegen: vec![0; MAX_NUM_LIT + OFFSET_CODE_COUNT + 1],
            literal_encoding: HuffmanEncoder::new(MAX_NUM_LIT),
            offset_encoding: HuffmanEncoder::new(OFFSET_CODE_COUNT),
            codegen_encoding: HuffmanEncoder::new(CODEGEN_CODE_COUNT),
            fixed_literal: HuffmanEncoder::fixed_literal(),
            fixed_offset: HuffmanEncoder::fixed_offset(),
        }
    }

    fn write_bits(&mut self, b: u32, nb: u32) {
        self.bits |= u64::from(b) << self.nbits;
        self.nbits += nb;
        if self.nbits >= 48 {
            let bits = self.bits;
            self.bits >>= 48;
            self.nbits -= 48;
            self.out.extend_from_slice(&bits.to_le_bytes()[..6]);
        }
    }

    fn write_code(&mut self, c: HCode) {
        self.write_bits(u32::from(c.code), u32::from(c.len));
    }

    /// Go's `flush`: pads the pending bits to a byte boundary.
    fn flush(&mut self) {
        while self.nbits != 0 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits = self.nbits.saturating_sub(8);
        }
        self.bits = 0;
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        // Only called byte-aligned (after a stored header).
        self.flush();
        self.out.extend_from_slice(bytes);
    }

    fn write_stored_header(&mut self, length: usize, eof: bool) {
        self.write_bits(u32::from(eof), 3);
        self.flush();
        self.write_bits(length as u32 & 0xffff, 16);
        self.write_bits(!(length as u16) as u32, 16);
    }

    fn write_fixed_header(&mut self, eof: bool) {
        self.write_bits(if eof { 3 } else { 2 }, 3);
    }

    /// Go's `generateCodegen`: the run-length encoding of the code lengths.
    fn generate_codegen(&mut self, num_literals: usize, num_offsets: usize) {
        self.codegen_freq = [0; CODEGEN_CODE_COUNT];
        let codegen = &mut self.codegen;
        let lit = &self.literal_encoding.codes[..num_literals];
        let off = &self.offset_encoding.codes[..num_offsets];
        for (slot, code) in codegen.iter_mut().zip(lit.iter().chain(off)) {
            *slot = code.len as u8;
        }
        codegen[num_literals + num_offsets] = BAD_CODE;

        let mut size = codegen[0];
        let mut count: i32 = 1;
        let mut out_index = 0;
        let mut in_index = 1;
        while size != BAD_CODE {
            let next_size = codegen[in_index];
            in_index += 1;
            if next_size == size {
                count += 1;
                continue;
            }
            if size != 0 {
                codegen[out_index] = size;
                out_index += 1;
                self.codegen_freq[usize::from(size)] += 1;
                count -= 1;
                while count >= 3 {
                    let n = count.min(6);
                    codegen[out_index] = 16;
                    codegen[out_index + 1] = (n - 3) as u8;
                    out_index += 2;
                    self.codegen_freq[16] += 1;
                    count -= n;
                }
            } else {
                while count >= 11 {
                    let n = count.min(138);
                    codegen[out_index] = 18;
                    codegen[out_index + 1] = (n - 11) as u8;
                    out_index += 2;
                    self.codegen_freq[18] += 1;
                    count -= n;
                }
                if count >= 3 {
                    codegen[out_index] = 17;
                    codegen[out_index + 1] = (count - 3) as u8;
                    out_index += 2;
                    self.codegen_freq[17] += 1;
                    count = 0;
                }
            }
            count -= 1;
            while count >= 0 {
                codegen[out_index] = size;
                out_index += 1;
                self.codegen_freq[usize::from(size)] += 1;
                count -= 1;
            }
            size = next_size;
            count = 1;
        }
        codegen[out_index] = BAD_CODE;
    }

    fn dynamic_size(&self, extra_bits: i64) -> (i64, usize) {
        let mut num_codegens = CODEGEN_CODE_COUNT;
        while num_codegens > 4 && self.codegen_freq[CODEGEN_ORDER[num_codegens - 1]] == 0 {
            num_codegens -= 1;
        }
        let header = 3
            + 5
            + 5
            + 4
            + 3 * num_codegens as i64
            + self.codegen_encoding.bit_length(&self.codegen_freq)
            + i64::from(self.codegen_freq[16]) * 2
            + i64::from(self.codegen_freq[17]) * 3
            + i64::from(self.codegen_freq[18]) * 7;
        let size = header
            + self.literal_encoding.bit_length(&self.literal_freq)
            + self.offset_encoding.bit_length(&self.offset_freq)
            + extra_bits;
        (size, num_codegens)
    }

    fn fixed_size(&self, extra_bits: i64) -> i64 {
        3 + self.fixed_literal.bit_length(&self.literal_freq)
            + self.fixed_offset.bit_length(&self.offset_freq)
            + extra_bits
    }

    fn write_dynamic_header(
        &mut self,
        num_literals: usize,
        num_offsets: usize,
        num_codegens: usize,
        eof: bool,
    ) {
        self.write_bits(if eof { 5 } else { 4 }, 3);
        self.write_bits((num_literals - 257) as u32, 5);
        self.write_bits((num_offsets - 1) as u32, 5);
        self.write_bits((num_codegens - 4) as u32, 4);
        for &order in CODEGEN_ORDER.iter().take(num_codegens) {
            let len = self.codegen_encoding.codes[order].len;
            self.write_bits(u32::from(len), 3);
        }
        let mut i = 0;
        loop {
            let word = self.codegen[i];
            i += 1;
            if word == BAD_CODE {
                break;
            }
            let code = self.codegen_encoding.codes[usize::from(word)];
            self.write_code(code);
            let extra = match word {
                16 => 2,
                17 => 3,
                18 => 7,
                _ => 0,
            };
            if extra > 0 {
                let value = self.codegen[i];
                self.write_bits(u32::from(value), extra);
                i += 1;
            }
        }
    }

    /// Go's `indexTokens`.
    fn index_tokens(&mut self, tokens: &[u32]) -> (usize, usize) {
        self.literal_freq.fill(0);
        self.offset_freq.fill(0);
        for &t in tokens {
            if t < MATCH_TYPE {
                self.literal_freq[t as usize] += 1;
                continue;
            }
            let length = (t - MATCH_TYPE) >> LENGTH_SHIFT;
            let offset = t & OFFSET_MASK;
            self.literal_freq[LENGTH_CODES_START + length_code(length)] += 1;
            self.offset_freq[offset_code(offset)] += 1;
        }
        let mut num_literals = self.literal_freq.len();
        while self.literal_freq[num_literals - 1] == 0 {
            num_literals -= 1;
        }
        let mut num_offsets = self.offset_freq.len();
        while num_offsets > 0 && self.offset_freq[num_offsets - 1] == 0 {
            num_offsets -= 1;
        }
        if num_offsets == 0 {
            self.offset_freq[0] = 1;
            num_offsets = 1;
        }
        self.literal_encoding.generate(&self.literal_freq, 15);
        self.offset_encoding.generate(&self.offset_freq, 15);
        (num_literals, num_offsets)
    }

    fn write_tokens(&mut self, tokens: &[u32], fixed: bool) {
        for &t in tokens {
            let (lit, off) = if fixed {
                (&self.fixed_literal.codes, &self.fixed_offset.codes)
            } else {
                (&self.literal_encoding.codes, &self.offset_encoding.codes)
            };
            if t < MATCH_TYPE {
                let c = lit[t as usize];
                self.write_code(c);
                continue;
            }
            let length = (t - MATCH_TYPE) >> LENGTH_SHIFT;
            let lcode = length_code(length);
            let lc = lit[lcode + LENGTH_CODES_START];
            let offset = t & OFFSET_MASK;
            let ocode = offset_code(offset);
            let oc = off[ocode];
            self.write_code(lc);
            let extra = u32::from(LENGTH_EXTRA_BITS[lcode]);
            if extra > 0 {
                self.write_bits(length - LENGTH_BASE[lcode], extra);
            }
            self.write_code(oc);
            let extra = u32::from(OFFSET_EXTRA_BITS[ocode]);
            if extra > 0 {
                self.write_bits(offset - OFFSET_BASE[ocode], extra);
            }
        }
    }

    /// Go's `huffmanBitWriter.writeBlock`: the smallest of fixed, dynamic
    /// and (when `input` is given and fits) stored.
    fn write_block(&mut self, tokens: &mut Vec<u32>, eof: bool, input: Option<&[u8]>) {
        tokens.push(END_BLOCK_MARKER);
        let (num_literals, num_offsets) = self.index_tokens(tokens);

        let mut extra_bits: i64 = 0;
        let stored = input.filter(|i| i.len() <= MAX_STORE_BLOCK_SIZE);
        let stored_size = stored.map(|i| (i.len() as i64 + 5) * 8);
        if stored.is_some() {
            for code in LENGTH_CODES_START + 8..num_literals {
                extra_bits += i64::from(self.literal_freq[code])
                    * i64::from(LENGTH_EXTRA_BITS[code - LENGTH_CODES_START]);
            }
            for (freq, extra) in self.offset_freq[..num_offsets]
                .iter()
                .zip(OFFSET_EXTRA_BITS)
                .skip(4)
            {
                extra_bits += i64::from(*freq) * i64::from(extra);
            }
        }
        let mut size = self.fixed_size(extra_bits);
        let mut fixed = true;

        self.generate_codegen(num_literals, num_offsets);
        let codegen_freq = self.codegen_freq;
        self.codegen_encoding.generate(&codegen_freq, 7);
        let (dynamic_size, num_codegens) = self.dynamic_size(extra_bits);
        if dynamic_size < size {
            size = dynamic_size;
            fixed = false;
        }
        if let (Some(input), Some(stored_size)) = (stored, stored_size)
            && stored_size < size
        {
            self.write_stored_header(input.len(), eof);
            self.write_bytes(input);
            tokens.pop();
            return;
        }
        if fixed {
            self.write_fixed_header(eof);
        } else {
            self.write_dynamic_header(num_literals, num_offsets, num_codegens, eof);
        }
        self.write_tokens(tokens, fixed);
        tokens.pop();
    }
}

/// A streaming compressor: Go's `flate.Writer` for levels 2-9.
pub struct Writer<W: Write> {
    inner: W,
    level: Level,
    bw: BitWriter,
    window: Vec<u8>,
    index: i64,
    window_end: i64,
    block_start: i64,
    byte_available: bool,
    sync: bool,
    tokens: Vec<u32>,
    length: i64,
    offset: i64,
    max_insert_index: i64,
    chain_head: i64,
    hash_head: Vec<u32>,
    hash_prev: Vec<u32>,
    hash_offset: i64,
}

fn hash4(b: &[u8]) -> u32 {
    let v = u32::from(b[3]) | u32::from(b[2]) << 8 | u32::from(b[1]) << 16 | u32::from(b[0]) << 24;
    v.wrapping_mul(HASH_MUL) >> (32 - HASH_BITS)
}

impl<W: Write> Writer<W> {
    /// Go's `NewWriter(w, level)` for `level` in 2..=9 or -1 (default, 6).
    pub fn new(inner: W, level: i32) -> io::Result<Self> {
        let level = level_params(level).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("flate: unsupported compression level {level}: want -1 or 2-9"),
            )
        })?;
        Ok(Self {
            inner,
            level,
            bw: BitWriter::new(),
            window: vec![0; 2 * WINDOW_SIZE as usize],
            index: 0,
            window_end: 0,
            block_start: 0,
            byte_available: false,
            sync: false,
            tokens: Vec::with_capacity(MAX_FLATE_BLOCK_TOKENS + 1),
            length: MIN_MATCH_LENGTH - 1,
            offset: 0,
            max_insert_index: 0,
            chain_head: -1,
            hash_head: vec![0; HASH_SIZE],
            hash_prev: vec![0; WINDOW_SIZE as usize],
            hash_offset: 1,
        })
    }

    fn drain(&mut self) -> io::Result<()> {
        if !self.bw.out.is_empty() {
            self.inner.write_all(&self.bw.out)?;
            self.bw.out.clear();
        }
        Ok(())
    }

    fn fill(&mut self, b: &[u8]) -> usize {
        if self.index >= 2 * WINDOW_SIZE - (MIN_MATCH_LENGTH + MAX_MATCH_LENGTH) {
            let ws = WINDOW_SIZE as usize;
            self.window.copy_within(ws..2 * ws, 0);
            self.index -= WINDOW_SIZE;
            self.window_end -= WINDOW_SIZE;
            if self.block_start >= WINDOW_SIZE {
                self.block_start -= WINDOW_SIZE;
            } else {
                self.block_start = i64::from(i32::MAX);
            }
            self.hash_offset += WINDOW_SIZE;
            if self.hash_offset > MAX_HASH_OFFSET {
                let delta = self.hash_offset - 1;
                self.hash_offset -= delta;
                self.chain_head -= delta;
                for v in self.hash_prev.iter_mut().chain(self.hash_head.iter_mut()) {
                    *v = if i64::from(*v) > delta {
                        (i64::from(*v) - delta) as u32
                    } else {
                        0
                    };
                }
            }
        }
        let start = self.window_end as usize;
        let n = b.len().min(self.window.len() - start);
        self.window[start..start + n].copy_from_slice(&b[..n]);
        self.window_end += n as i64;
        n
    }

    /// The compressor's `writeBlock`: the block's input is given (so it may
    /// be stored) only while it is still in the window.
    fn write_block(&mut self, index: i64) -> io::Result<()> {
        if index > 0 {
            let input = if self.block_start <= index {
                Some(&self.window[self.block_start as usize..index as usize])
            } else {
                None
            };
            self.bw.write_block(&mut self.tokens, false, input);
            self.block_start = index;
            self.drain()?;
        }
        Ok(())
    }

    fn insert_hash(&mut self, index: i64) {
        let i = index as usize;
        let hash = hash4(&self.window[i..i + 4]);
        let hh = &mut self.hash_head[(hash & HASH_MASK) as usize];
        self.hash_prev[(index & WINDOW_MASK) as usize] = *hh;
        *hh = (index + self.hash_offset) as u32;
    }

    fn find_match(
        &self,
        pos: i64,
        prev_head: i64,
        prev_length: i64,
        lookahead: i64,
    ) -> Option<(i64, i64)> {
        let min_match_look = MAX_MATCH_LENGTH.min(lookahead);
        let win = &self.window[..(pos + min_match_look) as usize];
        let nice = (win.len() as i64 - pos).min(self.level.nice);
        let mut tries = self.level.chain;
        let mut length = prev_length;
        if length >= self.level.good {
            tries >>= 2;
        }
        let mut found = None;
        let mut w_end = win[(pos + length) as usize];
        let w_pos = &win[pos as usize..];
        let min_index = pos - WINDOW_SIZE;
        let mut i = prev_head;
        while tries > 0 {
            if w_end == win[(i + length) as usize] {
                let a = &win[i as usize..i as usize + min_match_look as usize];
                let n = a.iter().zip(w_pos).take_while(|(x, y)| x == y).count() as i64;
                if n > length && (n > MIN_MATCH_LENGTH || pos - i <= 4096) {
                    length = n;
                    found = Some((n, pos - i));
                    if n >= nice {
                        break;
                    }
                    w_end = win[(pos + n) as usize];
                }
            }
            if i == min_index {
                break;
            }
            i = i64::from(self.hash_prev[(i & WINDOW_MASK) as usize]) - self.hash_offset;
            if i < min_index || i < 0 {
                break;
            }
            tries -= 1;
        }
        found
    }

    /// Go's `compressor.deflate` step.
    fn step(&mut self) -> io::Result<()> {
        if self.window_end - self.index < MIN_MATCH_LENGTH + MAX_MATCH_LENGTH && !self.sync {
            return Ok(());
        }
        let lv = self.level;
        let skip_never = lv.fast_skip_hashing == SKIP_NEVER;
        self.max_insert_index = self.window_end - (MIN_MATCH_LENGTH - 1);
        loop {
            let lookahead = self.window_end - self.index;
            if lookahead < MIN_MATCH_LENGTH + MAX_MATCH_LENGTH {
                if !self.sync {
                    break;
                }
                if lookahead == 0 {
                    if self.byte_available {
                        let lit = self.window[(self.index - 1) as usize];
                        self.tokens.push(u32::from(lit));
                        self.byte_available = false;
                    }
                    if !self.tokens.is_empty() {
                        self.write_block(self.index)?;
                        self.tokens.clear();
                    }
                    break;
                }
            }
            if self.index < self.max_insert_index {
                let i = self.index as usize;
                let hash = hash4(&self.window[i..i + 4]);
                let hh = &mut self.hash_head[(hash & HASH_MASK) as usize];
                self.chain_head = i64::from(*hh);
                self.hash_prev[(self.index & WINDOW_MASK) as usize] = self.chain_head as u32;
                *hh = (self.index + self.hash_offset) as u32;
            }
            let prev_length = self.length;
            let prev_offset = self.offset;
            self.length = MIN_MATCH_LENGTH - 1;
            self.offset = 0;
            let min_index = (self.index - WINDOW_SIZE).max(0);

            if self.chain_head - self.hash_offset >= min_index
                && (!skip_never && lookahead > MIN_MATCH_LENGTH - 1
                    || skip_never && lookahead > prev_length && prev_length < lv.lazy)
                && let Some((new_length, new_offset)) = self.find_match(
                    self.index,
                    self.chain_head - self.hash_offset,
                    MIN_MATCH_LENGTH - 1,
                    lookahead,
                )
            {
                self.length = new_length;
                self.offset = new_offset;
            }
            if !skip_never && self.length >= MIN_MATCH_LENGTH
                || skip_never && prev_length >= MIN_MATCH_LENGTH && self.length <= prev_length
            {
                let token = if !skip_never {
                    MATCH_TYPE
                        + (((self.length - BASE_MATCH_LENGTH) as u32) << LENGTH_SHIFT)
                        + (self.offset - BASE_MATCH_OFFSET) as u32
                } else {
                    MATCH_TYPE
                        + (((prev_length - BASE_MATCH_LENGTH) as u32) << LENGTH_SHIFT)
                        + (prev_offset - BASE_MATCH_OFFSET) as u32
                };
                self.tokens.push(token);
                if self.length <= lv.fast_skip_hashing {
                    let new_index = if !skip_never {
                        self.index + self.length
                    } else {
                        self.index + prev_length - 1
                    };
                    let mut index = self.index + 1;
                    while index < new_index {
                        if index < self.max_insert_index {
                            self.insert_hash(index);
                        }
                        index += 1;
                    }
                    self.index = index;
                    if skip_never {
                        self.byte_available = false;
                        self.length = MIN_MATCH_LENGTH - 1;
                    }
                } else {
                    self.index += self.length;
                }
                if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                    self.write_block(self.index)?;
                    self.tokens.clear();
                }
            } else {
                if !skip_never || self.byte_available {
                    let i = if !skip_never {
                        self.index
                    } else {
                        self.index - 1
                    };
                    self.tokens.push(u32::from(self.window[i as usize]));
                    if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                        self.write_block(i + 1)?;
                        self.tokens.clear();
                    }
                }
                self.index += 1;
                if skip_never {
                    self.byte_available = true;
                }
            }
        }
        Ok(())
    }

    /// Go's `Close`: compresses what is pending, then ends the stream with
    /// an empty final stored block. Returns the destination.
    pub fn finish(mut self) -> io::Result<W> {
        self.sync = true;
        self.step()?;
        self.bw.write_stored_header(0, true);
        self.bw.flush();
        self.drain()?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Writer<W> {
    /// Go's `Write`: the whole buffer is taken (the window is filled and
    /// compressed in turn), so each call is one Go `Write` of the same bytes.
    fn write(&mut self, mut b: &[u8]) -> io::Result<usize> {
        let n = b.len();
        while !b.is_empty() {
            self.step()?;
            let filled = self.fill(b);
            b = &b[filled..];
        }
        Ok(n)
    }

    /// Writes out the whole compressed blocks so far; unlike Go's `Flush`
    /// it adds no sync marker (module zips never flush).
    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.inner.flush()
    }
}

/// Compresses `data` in one `Write` and `Close`, as Go's
/// `flate.NewWriter(&buf, level)` would.
pub fn compress(data: &[u8], level: i32) -> io::Result<Vec<u8>> {
    let mut w = Writer::new(Vec::new(), level)?;
    w.write_all(data)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn inflate(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn lcg(seed: u64, n: usize) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 33) as u8
            })
            .collect()
    }

    fn text(n: usize) -> Vec<u8> {
        let words = [
            "module ",
            "example.com/x ",
            "func ",
            "return ",
            "err ",
            "nil\n",
            "\t",
            "if ",
            "{\n",
            "}\n",
            "package main\n",
            "import ",
            "\"fmt\"",
            "x := ",
            "42",
        ];
        let mut out = Vec::new();
        let mut s = 7u64;
        while out.len() < n {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            out.extend_from_slice(words[(s >> 40) as usize % words.len()].as_bytes());
        }
        out.truncate(n);
        out
    }

    #[test]
    fn empty_is_go_bytes() {
        // Go's Close on no input: only the empty final stored block
        // (BFINAL=1, BTYPE=00, padding, LEN=0, NLEN=0xffff).
        assert_eq!(compress(b"", 6).unwrap(), [1, 0, 0, 0xff, 0xff]);
    }

    #[test]
    fn round_trips() {
        let mut inputs: Vec<Vec<u8>> = vec![
            vec![],
            b"a".to_vec(),
            b"ab".to_vec(),
            b"abcabcabcabcabcabc".to_vec(),
            vec![0u8; 100_000],
            vec![b'x'; 65535],
            vec![b'x'; 65536],
            lcg(1, 10),
            lcg(2, 70_000),
            lcg(3, 300_000),
            text(1 << 20),
        ];
        for n in [
            32767usize, 32768, 32769, 65273, 65274, 65275, 65535, 65536, 65537, 98304,
        ] {
            inputs.push(text(n));
            inputs.push(lcg(n as u64, n));
        }
        let mut mixed = text(50_000);
        mixed.extend(lcg(9, 50_000));
        mixed.extend(vec![0u8; 50_000]);
        mixed.extend(text(50_000));
        inputs.push(mixed);
        for input in &inputs {
            for level in [-1, 2, 3, 4, 5, 9] {
                let out = compress(input, level).unwrap();
                assert_eq!(inflate(&out), *input, "len {} level {level}", input.len());
                // Chunked writes round-trip too.
                let mut w = Writer::new(Vec::new(), level).unwrap();
                for chunk in input.chunks(1000) {
                    w.write_all(chunk).unwrap();
                }
                assert_eq!(inflate(&w.finish().unwrap()), *input);
            }
        }
    }

    #[test]
    fn compresses() {
        let input = text(200_000);
        let out = compress(&input, 6).unwrap();
        assert!(out.len() < input.len() / 3, "{}", out.len());
        let random = lcg(5, 200_000);
        let out = compress(&random, 6).unwrap();
        assert!(out.len() < random.len() + 100);
    }

    #[test]
    fn codes_match_deflate_tables() {
        assert_eq!(length_code(0), 0);
        assert_eq!(length_code(8), 8);
        assert_eq!(length_code(9), 8);
        assert_eq!(length_code(254), 27);
        assert_eq!(length_code(255), 28);
        assert_eq!(offset_code(0), 0);
        assert_eq!(offset_code(4), 4);
        assert_eq!(offset_code(5), 4);
        assert_eq!(offset_code(6), 5);
        assert_eq!(offset_code(32767), 29);
        assert!(Writer::new(Vec::new(), 1).is_err());
    }
}
