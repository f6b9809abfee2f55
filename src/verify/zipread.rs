//! A zip reader with Go's `archive/zip` semantics, for hashing, checking and
//! extracting module zips (Go's `archive/zip/reader.go`, go1.26).
//!
//! Why not the `zip` crate's reader: the `h1:` of a zip and the module zip
//! rules are defined by what Go's reader sees, and the differences matter for
//! byte compatibility. Go keeps entry names as raw bytes (no CP437 decoding),
//! keeps duplicate names, reads central-directory headers until the first bad
//! one and compares the count only modulo 65536, checks CRC-32 only when a
//! data descriptor is present or the header CRC is non-zero, and fails an
//! entry whose data is longer or shorter than its declared size. This module
//! ports exactly those rules and nothing else (no encryption, no methods other
//! than store and deflate, as Go). It also reads with large buffers and at most
//! one copy per byte so that `h1:` runs near SHA-256 speed.
//!
//! Pure in the sense that it only reads from a `Read + Seek` it is given;
//! it never touches paths, and never panics on any input.

use std::io::{self, Read, Seek, SeekFrom};

use flate2::{Crc, Decompress, FlushDecompress, Status};

const FILE_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const DIRECTORY_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const DIRECTORY_END_SIGNATURE: u32 = 0x0605_4b50;
const DIRECTORY64_LOC_SIGNATURE: u32 = 0x0706_4b50;
const DIRECTORY64_END_SIGNATURE: u32 = 0x0606_4b50;
const DATA_DESCRIPTOR_SIGNATURE: u32 = 0x0807_4b50;
const FILE_HEADER_LEN: usize = 30;
const DIRECTORY_HEADER_LEN: usize = 46;
const DIRECTORY_END_LEN: usize = 22;
const DATA_DESCRIPTOR_LEN: u64 = 16;
const DIRECTORY64_LOC_LEN: usize = 20;
const DIRECTORY64_END_LEN: usize = 56;
const ZIP64_EXTRA_ID: u16 = 0x0001;

/// Compression methods Go's reader knows.
pub const STORE: u16 = 0;
/// Raw deflate.
pub const DEFLATE: u16 = 8;

/// Size of the buffers used to read compressed data.
const INPUT_BUFFER: usize = 256 << 10;

/// Errors as Go's `archive/zip` words them.
#[derive(Debug, thiserror::Error)]
pub enum ZipReadError {
    /// `zip.ErrFormat`.
    #[error("zip: not a valid zip file")]
    Format,
    /// `zip.ErrAlgorithm`.
    #[error("zip: unsupported compression algorithm")]
    Algorithm,
    /// `zip.ErrChecksum`.
    #[error("zip: checksum error")]
    Checksum,
    #[error("zip: invalid comment length")]
    InvalidCommentLength,
    #[error("archive/zip: TOC declares impossible {records} files in {size} byte zip")]
    ImpossibleCount { records: u64, size: u64 },
    /// `io.ErrUnexpectedEOF`: data shorter than declared, a truncated header.
    #[error("unexpected EOF")]
    UnexpectedEof,
    /// `io.EOF` where Go reports it as an error (a header past the end).
    #[error("EOF")]
    Eof,
    /// The deflate stream is corrupt.
    #[error("flate: corrupt input: {0}")]
    Inflate(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl ZipReadError {
    fn into_io(self) -> io::Error {
        match self {
            ZipReadError::Io(err) => err,
            other => io::Error::other(other),
        }
    }
}

/// One central-directory entry, with the fields the module rules use.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The name exactly as stored (Go strings are bytes).
    pub name: Vec<u8>,
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub external_attrs: u32,
    pub creator_version: u16,
    header_offset: u64,
}

impl Entry {
    /// The name for messages (invalid UTF-8 replaced).
    pub fn name_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    fn has_data_descriptor(&self) -> bool {
        self.flags & 0x8 != 0
    }
}

/// A parsed zip: its central directory and the reader to open entries from.
#[derive(Debug)]
pub struct ZipReader<R> {
    inner: R,
    size: u64,
    entries: Vec<Entry>,
}

fn u16le(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .unwrap_or(0)
}

fn u32le(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

fn u64le(b: &[u8], at: usize) -> u64 {
    match b.get(at..at + 8) {
        Some(s) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_le_bytes(a)
        }
        None => 0,
    }
}

/// `ReaderAt.ReadAt` semantics: fill `buf` from `offset`, or report how it
/// fell short (Go's `io.EOF` / `io.ErrUnexpectedEOF` distinction is kept
/// only as far as callers need it).
fn read_at<R: Read + Seek>(r: &mut R, offset: u64, buf: &mut [u8]) -> Result<(), ZipReadError> {
    r.seek(SeekFrom::Start(offset))?;
    read_full(r, buf)
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<(), ZipReadError> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(if filled == 0 {
                    ZipReadError::Eof
                } else {
                    ZipReadError::UnexpectedEof
                });
            }
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}

struct DirectoryEnd {
    directory_records: u64,
    directory_size: u64,
    directory_offset: u64,
}

/// Go's `findSignatureInBlock`.
fn find_signature_in_block(b: &[u8]) -> Option<usize> {
    if b.len() < DIRECTORY_END_LEN {
        return None;
    }
    let mut i = b.len() - DIRECTORY_END_LEN;
    loop {
        if u32le(b, i) == DIRECTORY_END_SIGNATURE {
            let n = usize::from(b[i + DIRECTORY_END_LEN - 2])
                | (usize::from(b[i + DIRECTORY_END_LEN - 1]) << 8);
            if n + DIRECTORY_END_LEN + i > b.len() {
                return None;
            }
            return Some(i);
        }
        if i == 0 {
            return None;
        }
        i -= 1;
    }
}

/// Go's `readDirectoryEnd`: returns the end record and the base offset.
fn read_directory_end<R: Read + Seek>(
    r: &mut R,
    size: u64,
) -> Result<(DirectoryEnd, u64), ZipReadError> {
    let mut found = None;
    for (i, block) in [1024u64, 65 * 1024].into_iter().enumerate() {
        let block = block.min(size);
        let mut buf = vec![0u8; block as usize];
        read_at(r, size - block, &mut buf)?;
        if let Some(p) = find_signature_in_block(&buf) {
            found = Some((buf.split_off(p), size - block + p as u64));
            break;
        }
        if i == 1 || block == size {
            return Err(ZipReadError::Format);
        }
    }
    let Some((buf, mut end_offset)) = found else {
        return Err(ZipReadError::Format);
    };
    let b = &buf[4..];
    let mut d = DirectoryEnd {
        directory_records: u64::from(u16le(b, 6)),
        directory_size: u64::from(u32le(b, 8)),
        directory_offset: u64::from(u32le(b, 12)),
    };
    let comment_len = usize::from(u16le(b, 16));
    if comment_len > b.len().saturating_sub(18) {
        return Err(ZipReadError::InvalidCommentLength);
    }
    // Go compares directorySize with 0xffff (not 0xffffffff); kept as is.
    if d.directory_records == 0xffff
        || d.directory_size == 0xffff
        || d.directory_offset == 0xffff_ffff
    {
        if let Some(p) = find_directory64_end(r, end_offset)? {
            end_offset = p;
            read_directory64_end(r, p, &mut d)?;
        }
    }
    let max = i64::MAX as u64;
    if d.directory_size > max || d.directory_offset > max {
        return Err(ZipReadError::Format);
    }
    // baseOffset = directoryEndOffset - directorySize - directoryOffset, as
    // signed arithmetic; o = baseOffset + directoryOffset must be in [0, size).
    let base =
        i128::from(end_offset) - i128::from(d.directory_size) - i128::from(d.directory_offset);
    let o = base + i128::from(d.directory_offset);
    if o < 0 || o >= i128::from(size) {
        return Err(ZipReadError::Format);
    }
    let mut base_offset = base;
    if base_offset > 0 {
        // The central directory may sit where the declared offset says
        // (data was appended, not prepended): then there is no base offset.
        let off = d.directory_offset;
        let mut header = [0u8; DIRECTORY_HEADER_LEN];
        if read_at(r, off, &mut header).is_ok()
            && let Ok(true) = directory_header_parses(r, &header)
        {
            base_offset = 0;
        }
    }
    // A negative base offset can only come from a corrupt end record whose
    // directory then fails to parse; Go carries it through as an int64.
    let base_offset = u64::try_from(base_offset).map_err(|_| ZipReadError::Format)?;
    Ok((d, base_offset))
}

/// Whether a directory header starting with `header` (reader positioned right
/// after it) parses, as Go's `readDirectoryHeader(&File{}, rs) == nil`.
fn directory_header_parses<R: Read + Seek>(
    r: &mut R,
    header: &[u8; DIRECTORY_HEADER_LEN],
) -> Result<bool, ZipReadError> {
    let mut chained = header.as_slice().chain(r);
    Ok(read_directory_header(&mut chained).is_ok())
}

fn find_directory64_end<R: Read + Seek>(
    r: &mut R,
    end_offset: u64,
) -> Result<Option<u64>, ZipReadError> {
    let Some(loc) = end_offset.checked_sub(DIRECTORY64_LOC_LEN as u64) else {
        return Ok(None);
    };
    let mut buf = [0u8; DIRECTORY64_LOC_LEN];
    read_at(r, loc, &mut buf)?;
    if u32le(&buf, 0) != DIRECTORY64_LOC_SIGNATURE {
        return Ok(None);
    }
    if u32le(&buf, 4) != 0 {
        return Ok(None);
    }
    let p = u64le(&buf, 8);
    if u32le(&buf, 16) != 1 {
        return Ok(None);
    }
    Ok(Some(p))
}

fn read_directory64_end<R: Read + Seek>(
    r: &mut R,
    offset: u64,
    d: &mut DirectoryEnd,
) -> Result<(), ZipReadError> {
    let mut buf = [0u8; DIRECTORY64_END_LEN];
    read_at(r, offset, &mut buf)?;
    if u32le(&buf, 0) != DIRECTORY64_END_SIGNATURE {
        return Err(ZipReadError::Format);
    }
    d.directory_records = u64le(&buf, 32);
    d.directory_size = u64le(&buf, 40);
    d.directory_offset = u64le(&buf, 48);
    Ok(())
}

/// Go's `readDirectoryHeader`.
fn read_directory_header<R: Read>(r: &mut R) -> Result<Entry, ZipReadError> {
    let mut buf = [0u8; DIRECTORY_HEADER_LEN];
    read_full(r, &mut buf)?;
    read_directory_header_rest(r, &buf)
}

fn read_directory_header_rest<R: Read>(
    r: &mut R,
    buf: &[u8; DIRECTORY_HEADER_LEN],
) -> Result<Entry, ZipReadError> {
    if u32le(buf, 0) != DIRECTORY_HEADER_SIGNATURE {
        return Err(ZipReadError::Format);
    }
    let creator_version = u16le(buf, 4);
    let flags = u16le(buf, 8);
    let method = u16le(buf, 10);
    let crc32 = u32le(buf, 16);
    let compressed32 = u32le(buf, 20);
    let uncompressed32 = u32le(buf, 24);
    let name_len = usize::from(u16le(buf, 28));
    let extra_len = usize::from(u16le(buf, 30));
    let comment_len = usize::from(u16le(buf, 32));
    let external_attrs = u32le(buf, 38);
    let offset32 = u32le(buf, 42);
    let mut d = vec![0u8; name_len + extra_len + comment_len];
    read_full(r, &mut d).map_err(|err| match err {
        ZipReadError::Eof if !d.is_empty() => ZipReadError::Eof,
        other => other,
    })?;
    let extra = &d[name_len..name_len + extra_len];
    let mut entry = Entry {
        name: d[..name_len].to_vec(),
        flags,
        method,
        crc32,
        compressed_size: u64::from(compressed32),
        uncompressed_size: u64::from(uncompressed32),
        external_attrs,
        creator_version,
        header_offset: u64::from(offset32),
    };
    let mut need_usize = uncompressed32 == u32::MAX;
    let mut need_csize = compressed32 == u32::MAX;
    let mut need_offset = offset32 == u32::MAX;
    let mut rest = extra;
    while rest.len() >= 4 {
        let tag = u16le(rest, 0);
        let size = usize::from(u16le(rest, 2));
        rest = &rest[4..];
        if rest.len() < size {
            break;
        }
        let (mut field, tail) = rest.split_at(size);
        rest = tail;
        if tag == ZIP64_EXTRA_ID {
            if need_usize {
                need_usize = false;
                if field.len() < 8 {
                    return Err(ZipReadError::Format);
                }
                entry.uncompressed_size = u64le(field, 0);
                field = &field[8..];
            }
            if need_csize {
                need_csize = false;
                if field.len() < 8 {
                    return Err(ZipReadError::Format);
                }
                entry.compressed_size = u64le(field, 0);
                field = &field[8..];
            }
            if need_offset {
                need_offset = false;
                if field.len() < 8 {
                    return Err(ZipReadError::Format);
                }
                entry.header_offset = u64le(field, 0);
            }
        }
    }
    // Go tolerates a missing zip64 uncompressed size (it may be in the data
    // descriptor), but not a missing compressed size or offset.
    let _ = need_usize;
    if need_csize || need_offset {
        return Err(ZipReadError::Format);
    }
    Ok(entry)
}

impl<R: Read + Seek> ZipReader<R> {
    /// Go's `zip.NewReader(r, size)`.
    pub fn new(mut inner: R, size: u64) -> Result<Self, ZipReadError> {
        let (end, base_offset) = read_directory_end(&mut inner, size)?;
        if end.directory_records > size / FILE_HEADER_LEN as u64 {
            return Err(ZipReadError::ImpossibleCount {
                records: end.directory_records,
                size,
            });
        }
        let start = base_offset.saturating_add(end.directory_offset);
        inner.seek(SeekFrom::Start(start))?;
        let mut entries = Vec::new();
        let last_err;
        {
            let mut buffered = io::BufReader::with_capacity(64 << 10, &mut inner);
            loop {
                match read_directory_header(&mut buffered) {
                    Ok(mut entry) => {
                        entry.header_offset = entry.header_offset.saturating_add(base_offset);
                        entries.push(entry);
                    }
                    Err(err @ (ZipReadError::Format | ZipReadError::UnexpectedEof)) => {
                        last_err = err;
                        break;
                    }
                    // Go's io.ReadFull reports a clean end as io.EOF, which is
                    // not one of the two errors that end the loop quietly.
                    Err(err) => return Err(err),
                }
            }
        }
        if entries.len() as u16 != end.directory_records as u16 {
            return Err(last_err);
        }
        Ok(Self {
            inner,
            size,
            entries,
        })
    }

    /// The entries in central-directory order, duplicates kept.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The size given to [`ZipReader::new`].
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Go's `File.Open`: a reader over the entry's uncompressed data that
    /// enforces the declared size and the CRC-32 as Go does.
    pub fn open(&mut self, index: usize) -> Result<EntryReader<'_, R>, ZipReadError> {
        let entry = self.entries.get(index).ok_or(ZipReadError::Format)?.clone();
        let mut header = [0u8; FILE_HEADER_LEN];
        read_at(&mut self.inner, entry.header_offset, &mut header)?;
        if u32le(&header, 0) != FILE_HEADER_SIGNATURE {
            return Err(ZipReadError::Format);
        }
        let body = (FILE_HEADER_LEN as u64)
            + u64::from(u16le(&header, 26))
            + u64::from(u16le(&header, 28));
        let data_start = entry.header_offset.saturating_add(body);
        let state = if entry.name.ends_with(b"/") {
            if entry.uncompressed_size != 0 {
                State::Failed(FailKind::Format)
            } else {
                State::Done
            }
        } else {
            let decoder = match entry.method {
                STORE => Decoder::Stored,
                DEFLATE => Decoder::Deflate {
                    inflate: Box::new(Decompress::new(false)),
                    input: Vec::with_capacity(INPUT_BUFFER),
                    pos: 0,
                    input_eof: false,
                    stream_end: false,
                },
                _ => return Err(ZipReadError::Algorithm),
            };
            self.inner.seek(SeekFrom::Start(data_start))?;
            State::Reading(decoder)
        };
        Ok(EntryReader {
            inner: &mut self.inner,
            remaining_compressed: entry.compressed_size,
            descriptor_at: data_start.saturating_add(entry.compressed_size),
            entry,
            crc: Crc::new(),
            nread: 0,
            state,
        })
    }
}

enum Decoder {
    Stored,
    Deflate {
        inflate: Box<Decompress>,
        input: Vec<u8>,
        pos: usize,
        input_eof: bool,
        stream_end: bool,
    },
}

#[derive(Clone, Copy)]
enum FailKind {
    Format,
    Checksum,
    UnexpectedEof,
}

enum State {
    Reading(Decoder),
    Done,
    Failed(FailKind),
}

/// The uncompressed data of one entry (Go's `checksumReader`).
pub struct EntryReader<'a, R> {
    inner: &'a mut R,
    entry: Entry,
    remaining_compressed: u64,
    descriptor_at: u64,
    crc: Crc,
    nread: u64,
    state: State,
}

impl<R: Read + Seek> EntryReader<'_, R> {
    /// The entry being read.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// Reads raw (compressed) bytes, at most `remaining_compressed`.
    fn read_raw(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = usize::try_from(self.remaining_compressed)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if limit == 0 {
            return Ok(0);
        }
        let n = loop {
            match self.inner.read(&mut buf[..limit]) {
                Ok(n) => break n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        };
        self.remaining_compressed -= n as u64;
        Ok(n)
    }

    /// One read from the decoder: `Ok(0)` is the end of the data.
    fn decode(&mut self, buf: &mut [u8]) -> Result<usize, ZipReadError> {
        match &self.state {
            State::Reading(Decoder::Stored) => Ok(self.read_raw(buf)?),
            State::Reading(Decoder::Deflate { .. }) => self.inflate(buf),
            State::Done | State::Failed(_) => Ok(0),
        }
    }

    fn inflate(&mut self, buf: &mut [u8]) -> Result<usize, ZipReadError> {
        loop {
            // Refill the input buffer when it is used up.
            let need_input = match &self.state {
                State::Reading(Decoder::Deflate {
                    input,
                    pos,
                    input_eof,
                    stream_end,
                    ..
                }) => {
                    if *stream_end {
                        return Ok(0);
                    }
                    *pos >= input.len() && !*input_eof
                }
                _ => return Ok(0),
            };
            if need_input {
                let mut chunk = match &mut self.state {
                    State::Reading(Decoder::Deflate { input, .. }) => std::mem::take(input),
                    _ => return Ok(0),
                };
                chunk.resize(INPUT_BUFFER, 0);
                let n = self.read_raw(&mut chunk);
                let State::Reading(Decoder::Deflate {
                    input,
                    pos,
                    input_eof,
                    ..
                }) = &mut self.state
                else {
                    return Ok(0);
                };
                let n = match n {
                    Ok(n) => n,
                    Err(err) => {
                        chunk.clear();
                        *input = chunk;
                        return Err(err.into());
                    }
                };
                chunk.truncate(n);
                *input = chunk;
                *pos = 0;
                if n == 0 {
                    *input_eof = true;
                }
            }
            let State::Reading(Decoder::Deflate {
                inflate,
                input,
                pos,
                input_eof,
                stream_end,
            }) = &mut self.state
            else {
                return Ok(0);
            };
            let before_in = inflate.total_in();
            let before_out = inflate.total_out();
            let status = inflate
                .decompress(&input[*pos..], buf, FlushDecompress::None)
                .map_err(|err| ZipReadError::Inflate(err.to_string()))?;
            let consumed = (inflate.total_in() - before_in) as usize;
            let produced = (inflate.total_out() - before_out) as usize;
            *pos += consumed;
            if status == Status::StreamEnd {
                *stream_end = true;
                return Ok(produced);
            }
            if produced > 0 || buf.is_empty() {
                return Ok(produced);
            }
            if *input_eof && *pos >= input.len() {
                // The compressed data ended inside the deflate stream.
                return Err(ZipReadError::UnexpectedEof);
            }
            if consumed == 0 && *pos < input.len() {
                // No progress with input available and room for output.
                return Err(ZipReadError::Inflate("no progress".into()));
            }
        }
    }

    /// Go's `readDataDescriptor`.
    fn read_data_descriptor(&mut self) -> Result<(), ZipReadError> {
        self.inner.seek(SeekFrom::Start(self.descriptor_at))?;
        let mut limited = (&mut *self.inner).take(DATA_DESCRIPTOR_LEN);
        let mut buf = [0u8; 12];
        read_full(&mut limited, &mut buf[..4])?;
        let off = if u32le(&buf, 0) != DATA_DESCRIPTOR_SIGNATURE {
            4
        } else {
            0
        };
        read_full(&mut limited, &mut buf[off..12]).map_err(|err| match err {
            ZipReadError::Eof => ZipReadError::UnexpectedEof,
            other => other,
        })?;
        if u32le(&buf, 0) != self.entry.crc32 {
            return Err(ZipReadError::Checksum);
        }
        Ok(())
    }

    fn fail(&mut self, kind: FailKind) -> ZipReadError {
        self.state = State::Failed(kind);
        match kind {
            FailKind::Format => ZipReadError::Format,
            FailKind::Checksum => ZipReadError::Checksum,
            FailKind::UnexpectedEof => ZipReadError::UnexpectedEof,
        }
    }

    fn read_checked(&mut self, buf: &mut [u8]) -> Result<usize, ZipReadError> {
        match self.state {
            State::Done => return Ok(0),
            State::Failed(kind) => return Err(self.fail(kind)),
            State::Reading(_) => {}
        }
        let n = match self.decode(buf) {
            Ok(n) => n,
            Err(err) => {
                // Errors other than the sticky kinds are reported once and
                // then turn into a format error on later reads.
                self.state = State::Failed(FailKind::Format);
                return Err(err);
            }
        };
        self.crc.update(&buf[..n]);
        self.nread += n as u64;
        if self.nread > self.entry.uncompressed_size {
            return Err(self.fail(FailKind::Format));
        }
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        // End of the data.
        if self.nread != self.entry.uncompressed_size {
            return Err(self.fail(FailKind::UnexpectedEof));
        }
        if self.entry.has_data_descriptor() {
            match self.read_data_descriptor() {
                Ok(()) => {}
                Err(ZipReadError::Eof | ZipReadError::UnexpectedEof) => {
                    return Err(self.fail(FailKind::UnexpectedEof));
                }
                Err(ZipReadError::Checksum) => return Err(self.fail(FailKind::Checksum)),
                Err(err) => {
                    self.state = State::Failed(FailKind::Format);
                    return Err(err);
                }
            }
            if self.crc.sum() != self.entry.crc32 {
                return Err(self.fail(FailKind::Checksum));
            }
        } else if self.entry.crc32 != 0 && self.crc.sum() != self.entry.crc32 {
            return Err(self.fail(FailKind::Checksum));
        }
        self.state = State::Done;
        Ok(0)
    }
}

impl<R: Read + Seek> Read for EntryReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_checked(buf).map_err(ZipReadError::into_io)
    }
}

/// Opens a zip file from disk (Go's `zip.OpenReader`).
pub fn open_file(path: &std::path::Path) -> Result<ZipReader<std::fs::File>, ZipReadError> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    ZipReader::new(file, size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A stored zip with one entry, laid out by hand.
    fn stored_zip(name: &[u8], data: &[u8], declared: u32, crc: u32) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&FILE_HEADER_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&declared.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(data);
        let cd = out.len();
        out.extend_from_slice(&DIRECTORY_HEADER_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&declared.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(name);
        let cd_len = out.len() - cd;
        out.extend_from_slice(&DIRECTORY_END_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        out.extend_from_slice(&(cd_len as u32).to_le_bytes());
        out.extend_from_slice(&(cd as u32).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn read_all(zip: Vec<u8>) -> Result<Vec<u8>, String> {
        let size = zip.len() as u64;
        let mut reader = ZipReader::new(Cursor::new(zip), size).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        reader
            .open(0)
            .map_err(|e| e.to_string())?
            .read_to_end(&mut out)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn crc(data: &[u8]) -> u32 {
        let mut c = Crc::new();
        c.update(data);
        c.sum()
    }

    #[test]
    fn stored_entry_reads_back() {
        let zip = stored_zip(b"a\xffb", b"hello", 5, crc(b"hello"));
        let size = zip.len() as u64;
        let reader = ZipReader::new(Cursor::new(zip.clone()), size).unwrap();
        assert_eq!(reader.entries()[0].name, b"a\xffb");
        assert_eq!(read_all(zip).unwrap(), b"hello");
    }

    #[test]
    fn declared_size_and_crc_are_enforced_as_go() {
        // Longer than declared: ErrFormat.
        let zip = stored_zip(b"a", b"hello", 3, 0);
        assert_eq!(read_all(zip).unwrap_err(), "zip: not a valid zip file");
        // Shorter than declared: io.ErrUnexpectedEOF.
        let zip = stored_zip(b"a", b"hello", 9, 0);
        assert_eq!(read_all(zip).unwrap_err(), "unexpected EOF");
        // Wrong non-zero CRC: ErrChecksum; a zero CRC is not checked.
        let zip = stored_zip(b"a", b"hello", 5, 1234);
        assert_eq!(read_all(zip).unwrap_err(), "zip: checksum error");
        assert_eq!(
            read_all(stored_zip(b"a", b"hello", 5, 0)).unwrap(),
            b"hello"
        );
    }

    #[test]
    fn garbage_is_not_a_zip() {
        for data in [
            vec![],
            vec![0u8; 10],
            vec![0u8; 5000],
            b"PK\x05\x06".to_vec(),
        ] {
            let size = data.len() as u64;
            assert!(ZipReader::new(Cursor::new(data), size).is_err());
        }
    }
}
