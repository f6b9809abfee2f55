//! go.mod and go.work reading: the lexer, line blocks and comments of
//! x/mod modfile/read.go, and the directives of modfile/rule.go and work.go
//! (module, go, toolchain, godebug, require, exclude, replace, retract, tool,
//! ignore; use). Spec: spec/integrity.md §7 and §6.6 (retract).
//!
//! Pure: bytes in, a `ModFile` / `WorkFile` or Go's error lines out.
//! `parse` is x/mod `Parse(file, data, nil)` (strict, main module),
//! `parse_lax` is `ParseLax(file, data, nil)` (dependencies' go.mod files),
//! `parse_work` is `ParseWork(file, data, nil)`, `module_path` is `ModulePath`.
//! Errors print exactly as Go's `modfile.ErrorList` does (`go.mod:3: unknown directive: foo`).

use crate::module::{path as modpath, version};

use std::fmt;

/// A position in the input, as x/mod counts it (runes, invalid bytes count one each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Line, starting at 1.
    pub line: usize,
    /// Rune in line, starting at 1.
    pub line_rune: usize,
    /// Byte offset, starting at 0.
    pub byte: usize,
}

/// One `//` comment: token without the trailing newline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Comment {
    start: Position,
    token: String,
    suffix: bool,
}

#[derive(Clone, Debug, Default)]
struct Comments {
    before: Vec<Comment>,
    suffix: Vec<Comment>,
}

#[derive(Clone, Debug)]
struct Line {
    comments: usize,
    start: Position,
    tokens: Vec<String>,
    end: Position,
}

#[derive(Clone, Debug)]
struct LineBlock {
    comments: usize,
    start: Position,
    tokens: Vec<String>,
    lparen: (Position, usize),
    lines: Vec<Line>,
    rparen: (Position, usize),
}

#[derive(Clone, Debug)]
enum Stmt {
    CommentBlock { comments: usize, start: Position },
    Line(Line),
    Block(LineBlock),
}

/// The syntax tree: statements plus an arena of comment groups they point into.
#[derive(Debug, Default)]
struct FileSyntax {
    stmts: Vec<Stmt>,
    comments: Vec<Comments>,
}

impl FileSyntax {
    fn new_comments(&mut self) -> usize {
        self.comments.push(Comments::default());
        self.comments.len() - 1
    }
}

/// One error line, printed as x/mod `modfile.Error` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorLine {
    pub filename: String,
    pub pos: Position,
    /// Directive, printed as `verb path: ` when `mod_path` is set, `verb: ` otherwise.
    pub verb: String,
    pub mod_path: String,
    pub message: String,
}

impl fmt::Display for ErrorLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.line_rune > 1 {
            write!(
                f,
                "{}:{}:{}: ",
                self.filename, self.pos.line, self.pos.line_rune
            )?;
        } else if self.pos.line > 0 {
            write!(f, "{}:{}: ", self.filename, self.pos.line)?;
        } else if !self.filename.is_empty() {
            write!(f, "{}: ", self.filename)?;
        }
        if !self.mod_path.is_empty() {
            write!(f, "{} {}: ", self.verb, self.mod_path)?;
        } else if !self.verb.is_empty() {
            write!(f, "{}: ", self.verb)?;
        }
        f.write_str(&self.message)
    }
}

/// A go.mod / go.work that does not parse: every error line, as Go lists them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ModfileError {
    pub errors: Vec<ErrorLine>,
}

impl fmt::Display for ModfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ModfileError {
    fn one(filename: &str, pos: Position, message: String) -> Self {
        ModfileError {
            errors: vec![ErrorLine {
                filename: filename.to_string(),
                pos,
                verb: String::new(),
                mod_path: String::new(),
                message,
            }],
        }
    }
}

// ---------------------------------------------------------------------------
// Lexer (read.go: input, readToken)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Eof,
    EolComment,
    Ident,
    Str,
    Comment,
    Punct(u8),
}

impl Kind {
    fn is_eol(self) -> bool {
        matches!(self, Kind::Eof | Kind::EolComment | Kind::Punct(b'\n'))
    }
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    pos: Position,
    end_pos: Position,
    text: String,
}

/// Decodes one rune as Go's `utf8.DecodeRune` does: invalid input is U+FFFD of width 1.
fn decode_rune(b: &[u8]) -> (char, usize) {
    if b.is_empty() {
        return ('\u{FFFD}', 0);
    }
    let n = match b[0] {
        0x00..=0x7f => return (b[0] as char, 1),
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return ('\u{FFFD}', 1),
    };
    if b.len() < n {
        return ('\u{FFFD}', 1);
    }
    match std::str::from_utf8(&b[..n]) {
        Ok(s) => match s.chars().next() {
            Some(c) => (c, n),
            None => ('\u{FFFD}', 1),
        },
        Err(_) => ('\u{FFFD}', 1),
    }
}

/// Go's `unicode.IsSpace`.
fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `unicode.IsPrint`, approximated without a general-category table: letters,
/// marks, numbers, punctuation, symbols and U+0020; not controls, other spaces,
/// format characters, surrogates or private use.
fn is_go_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    let format = matches!(
        u,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    );
    let private = matches!(u, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD);
    let nonchar = (u & 0xFFFE) == 0xFFFE || (0xFDD0..=0xFDEF).contains(&u);
    !(format || private || nonchar)
}

fn is_ident(c: char) -> bool {
    match c {
        ' ' | '(' | ')' | '[' | ']' | '{' | '}' | ',' => false,
        _ => !is_go_space(c) && is_go_print(c),
    }
}

struct Input<'a> {
    filename: &'a str,
    complete: &'a [u8],
    off: usize,
    token_start: usize,
    token: Token,
    pos: Position,
    /// Suffix (end-of-line) comments, in input order.
    comments: Vec<Comment>,
    file: FileSyntax,
}

type LexResult<T> = Result<T, ModfileError>;

impl<'a> Input<'a> {
    fn new(filename: &'a str, data: &'a [u8]) -> Self {
        let start = Position {
            line: 1,
            line_rune: 1,
            byte: 0,
        };
        Input {
            filename,
            complete: data,
            off: 0,
            token_start: 0,
            token: Token {
                kind: Kind::Eof,
                pos: start,
                end_pos: start,
                text: String::new(),
            },
            pos: start,
            comments: Vec::new(),
            file: FileSyntax::default(),
        }
    }

    fn error(&self, msg: String) -> ModfileError {
        ModfileError::one(self.filename, self.pos, msg)
    }

    fn remaining(&self) -> &'a [u8] {
        &self.complete[self.off..]
    }

    fn eof(&self) -> bool {
        self.off >= self.complete.len()
    }

    fn peek_rune(&self) -> Option<char> {
        if self.eof() {
            return None;
        }
        Some(decode_rune(self.remaining()).0)
    }

    fn peek_prefix(&self, prefix: &str) -> bool {
        self.remaining().starts_with(prefix.as_bytes())
    }

    fn read_rune(&mut self) -> char {
        let (c, size) = decode_rune(self.remaining());
        let size = size.max(1).min(self.complete.len() - self.off);
        self.off += size;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.line_rune = 1;
        } else {
            self.pos.line_rune += 1;
        }
        self.pos.byte += size;
        c
    }

    fn start_token(&mut self) {
        self.token_start = self.off;
        self.token.text.clear();
        self.token.pos = self.pos;
    }

    fn end_token(&mut self, kind: Kind) {
        self.token.kind = kind;
        let raw = &self.complete[self.token_start..self.off];
        let mut text = String::from_utf8_lossy(raw).into_owned();
        if matches!(kind, Kind::Comment | Kind::EolComment) {
            if text.ends_with("\r\n") {
                text.truncate(text.len() - 2);
            } else if text.ends_with('\n') {
                text.truncate(text.len() - 1);
            }
        }
        self.token.text = text;
        self.token.end_pos = self.pos;
    }

    fn lex(&mut self) -> LexResult<Token> {
        let tok = self.token.clone();
        self.read_token()?;
        Ok(tok)
    }

    fn peek(&self) -> Kind {
        self.token.kind
    }

    fn read_token(&mut self) -> LexResult<()> {
        while !self.eof() {
            let c = self.peek_rune();
            if matches!(c, Some(' ' | '\t' | '\r')) {
                self.read_rune();
                continue;
            }
            if self.peek_prefix("//") {
                self.start_token();
                let before = &self.complete[..self.pos.byte];
                let line_start = before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let suffix = String::from_utf8_lossy(&self.complete[line_start..self.pos.byte])
                    .trim()
                    .chars()
                    .next()
                    .is_some();
                self.read_rune();
                self.read_rune();
                while !self.eof() && self.read_rune() != '\n' {}
                if !suffix {
                    self.end_token(Kind::Comment);
                    return Ok(());
                }
                self.end_token(Kind::EolComment);
                self.comments.push(Comment {
                    start: self.token.pos,
                    token: self.token.text.clone(),
                    suffix: true,
                });
                return Ok(());
            }
            if self.peek_prefix("/*") {
                return Err(
                    self.error("mod files must use // comments (not /* */ comments)".to_string())
                );
            }
            break;
        }

        self.start_token();
        let Some(c) = self.peek_rune() else {
            self.end_token(Kind::Eof);
            return Ok(());
        };
        match c {
            '\n' | '(' | ')' | '[' | ']' | '{' | '}' | ',' => {
                self.read_rune();
                self.end_token(Kind::Punct(c as u8));
                return Ok(());
            }
            '"' | '`' => {
                let quote = c;
                self.read_rune();
                loop {
                    if self.eof() {
                        self.pos = self.token.pos;
                        return Err(self.error("unexpected EOF in string".to_string()));
                    }
                    if self.peek_rune() == Some('\n') {
                        return Err(self.error("unexpected newline in string".to_string()));
                    }
                    let c = self.read_rune();
                    if c == quote {
                        break;
                    }
                    if c == '\\' && quote != '`' {
                        if self.eof() {
                            self.pos = self.token.pos;
                            return Err(self.error("unexpected EOF in string".to_string()));
                        }
                        self.read_rune();
                    }
                }
                self.end_token(Kind::Str);
                return Ok(());
            }
            _ => {}
        }
        if !is_ident(c) {
            return Err(self.error(format!(
                "unexpected input character {}",
                go_quote_rune_sharp(c)
            )));
        }
        while let Some(c) = self.peek_rune() {
            if !is_ident(c) || self.peek_prefix("//") {
                break;
            }
            if self.peek_prefix("/*") {
                return Err(
                    self.error("mod files must use // comments (not /* */ comments)".to_string())
                );
            }
            self.read_rune();
        }
        self.end_token(Kind::Ident);
        Ok(())
    }

    // -- parser (read.go: parseFile, parseStmt, parseLineBlock, parseLine)

    fn parse_file(&mut self) -> LexResult<()> {
        let mut cb: Option<(usize, Position)> = None;
        loop {
            match self.peek() {
                Kind::Punct(b'\n') => {
                    self.lex()?;
                    if let Some((comments, start)) = cb.take() {
                        self.file.stmts.push(Stmt::CommentBlock { comments, start });
                    }
                }
                Kind::Comment => {
                    let tok = self.lex()?;
                    let id = match cb {
                        Some((id, _)) => id,
                        None => {
                            let id = self.file.new_comments();
                            cb = Some((id, tok.pos));
                            id
                        }
                    };
                    self.file.comments[id].before.push(Comment {
                        start: tok.pos,
                        token: tok.text,
                        suffix: false,
                    });
                }
                Kind::Eof => {
                    if let Some((comments, start)) = cb.take() {
                        self.file.stmts.push(Stmt::CommentBlock { comments, start });
                    }
                    return Ok(());
                }
                _ => {
                    self.parse_stmt()?;
                    if let Some((id, _)) = cb.take() {
                        let before = std::mem::take(&mut self.file.comments[id].before);
                        let target = match self.file.stmts.last() {
                            Some(Stmt::Line(l)) => l.comments,
                            Some(Stmt::Block(b)) => b.comments,
                            Some(Stmt::CommentBlock { comments, .. }) => *comments,
                            None => continue,
                        };
                        self.file.comments[target].before = before;
                    }
                }
            }
        }
    }

    fn parse_stmt(&mut self) -> LexResult<()> {
        let tok = self.lex()?;
        let start = tok.pos;
        let mut end = tok.end_pos;
        let mut tokens = vec![tok.text];
        loop {
            let tok = self.lex()?;
            if tok.kind.is_eol() {
                let comments = self.file.new_comments();
                self.file.stmts.push(Stmt::Line(Line {
                    comments,
                    start,
                    tokens,
                    end,
                }));
                return Ok(());
            }
            if tok.kind == Kind::Punct(b'(') {
                let next = self.peek();
                if next.is_eol() {
                    let block = self.parse_line_block(start, tokens, &tok)?;
                    self.file.stmts.push(Stmt::Block(block));
                    return Ok(());
                } else if next == Kind::Punct(b')') {
                    let rparen = self.lex()?;
                    if self.peek().is_eol() {
                        self.lex()?;
                        let comments = self.file.new_comments();
                        let lc = self.file.new_comments();
                        let rc = self.file.new_comments();
                        self.file.stmts.push(Stmt::Block(LineBlock {
                            comments,
                            start,
                            tokens,
                            lparen: (tok.pos, lc),
                            lines: Vec::new(),
                            rparen: (rparen.pos, rc),
                        }));
                        return Ok(());
                    }
                    tokens.push(tok.text);
                    tokens.push(rparen.text);
                } else {
                    tokens.push(tok.text);
                }
            } else {
                tokens.push(tok.text);
                end = tok.end_pos;
            }
        }
    }

    fn parse_line_block(
        &mut self,
        start: Position,
        tokens: Vec<String>,
        lparen: &Token,
    ) -> LexResult<LineBlock> {
        let comments_id = self.file.new_comments();
        let lc = self.file.new_comments();
        let mut lines: Vec<Line> = Vec::new();
        let mut comments: Vec<Comment> = Vec::new();
        loop {
            match self.peek() {
                Kind::EolComment => {
                    self.lex()?;
                }
                Kind::Punct(b'\n') => {
                    self.lex()?;
                    let last_nonblank = comments.last().is_some_and(|c| !c.token.is_empty());
                    if (comments.is_empty() && !lines.is_empty()) || last_nonblank {
                        comments.push(Comment::default());
                    }
                }
                Kind::Comment => {
                    let tok = self.lex()?;
                    comments.push(Comment {
                        start: tok.pos,
                        token: tok.text,
                        suffix: false,
                    });
                }
                Kind::Eof => {
                    return Err(self.error(format!(
                        "syntax error (unterminated block started at {}:{}:{})",
                        self.filename, start.line, start.line_rune
                    )));
                }
                Kind::Punct(b')') => {
                    let rparen = self.lex()?;
                    if comments.len() == 1 && comments[0] == Comment::default() {
                        comments.clear();
                    }
                    let rc = self.file.new_comments();
                    self.file.comments[rc].before = comments;
                    if !self.peek().is_eol() {
                        return Err(self.error(
                            "syntax error (expected newline after closing paren)".to_string(),
                        ));
                    }
                    self.lex()?;
                    return Ok(LineBlock {
                        comments: comments_id,
                        start,
                        tokens,
                        lparen: (lparen.pos, lc),
                        lines,
                        rparen: (rparen.pos, rc),
                    });
                }
                _ => {
                    let line = self.parse_line()?;
                    self.file.comments[line.comments].before = std::mem::take(&mut comments);
                    lines.push(line);
                }
            }
        }
    }

    fn parse_line(&mut self) -> LexResult<Line> {
        let tok = self.lex()?;
        let start = tok.pos;
        let mut end = tok.end_pos;
        let mut tokens = vec![tok.text];
        loop {
            let tok = self.lex()?;
            if tok.kind.is_eol() {
                let comments = self.file.new_comments();
                return Ok(Line {
                    comments,
                    start,
                    tokens,
                    end,
                });
            }
            tokens.push(tok.text);
            end = tok.end_pos;
        }
    }

    /// read.go `assignComments`: suffix comments go to the last expression (in
    /// post-order) that ends before them on a single line.
    fn assign_comments(&mut self) {
        // (start, end, comments id) in post-order.
        let mut post: Vec<(Position, Position, usize)> = Vec::new();
        for stmt in &self.file.stmts {
            match stmt {
                Stmt::CommentBlock { comments, start } => post.push((*start, *start, *comments)),
                Stmt::Line(l) => post.push((l.start, l.end, l.comments)),
                Stmt::Block(b) => {
                    let (lp, lc) = b.lparen;
                    post.push((lp, pos_add_paren(lp), lc));
                    for l in &b.lines {
                        post.push((l.start, l.end, l.comments));
                    }
                    let (rp, rc) = b.rparen;
                    post.push((rp, pos_add_paren(rp), rc));
                    post.push((b.start, pos_add_paren(rp), b.comments));
                }
            }
        }
        let mut suffix = std::mem::take(&mut self.comments);
        for &(start, end, id) in post.iter().rev() {
            if start.line != end.line {
                continue;
            }
            while let Some(last) = suffix.last() {
                if end.byte > last.start.byte {
                    break;
                }
                if let Some(c) = suffix.pop() {
                    self.file.comments[id].suffix.push(c);
                }
            }
        }
        for c in &mut self.file.comments {
            c.suffix.reverse();
        }
    }
}

fn pos_add_paren(p: Position) -> Position {
    Position {
        line: p.line,
        line_rune: p.line_rune + 1,
        byte: p.byte + 1,
    }
}

fn parse_syntax(file: &str, data: &[u8]) -> Result<FileSyntax, ModfileError> {
    let mut input = Input::new(file, data);
    input.read_token()?;
    input.parse_file()?;
    input.assign_comments();
    Ok(input.file)
}

// ---------------------------------------------------------------------------
// Go quoting helpers (strconv.Quote, QuoteRune with %#q, Unquote)

fn quote_char_into(out: &mut String, c: char, quote: char) {
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if is_go_print(c) => out.push(c),
        c if (c as u32) < 0x80 || (c as u32) < 0x100 && c.is_control() => {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `strconv.Quote` (as `%q` prints a string).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        quote_char_into(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// `%#q` of a rune: back-quoted when `strconv.CanBackquote`, else `QuoteRune`.
fn go_quote_rune_sharp(c: char) -> String {
    let can_backquote = if c.len_utf8() > 1 {
        c != '\u{FEFF}' && c != '\u{FFFD}'
    } else {
        !((c < ' ' && c != '\t') || c == '`' || c == '\u{7f}')
    };
    if can_backquote {
        return format!("`{c}`");
    }
    let mut out = String::from("'");
    quote_char_into(&mut out, c, '\'');
    out.push('\'');
    out
}

/// Go's `strconv.Unquote` for `"` and `` ` `` strings (bytes out; `\x` escapes may
/// produce invalid UTF-8, which callers convert lossily). `None` is `ErrSyntax`.
fn go_unquote(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return None;
    }
    let quote = b[0];
    if b[b.len() - 1] != quote {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    match quote {
        b'`' => {
            if inner.contains('`') {
                return None;
            }
            Some(inner.bytes().filter(|&c| c != b'\r').collect())
        }
        b'"' => {
            let mut out = Vec::with_capacity(inner.len());
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' | '\n' => return None,
                    '\\' => {
                        let e = chars.next()?;
                        match e {
                            'a' => out.push(7),
                            'b' => out.push(8),
                            'f' => out.push(12),
                            'n' => out.push(b'\n'),
                            'r' => out.push(b'\r'),
                            't' => out.push(b'\t'),
                            'v' => out.push(11),
                            '\\' => out.push(b'\\'),
                            '"' => out.push(b'"'),
                            'x' | 'u' | 'U' => {
                                let n = match e {
                                    'x' => 2,
                                    'u' => 4,
                                    _ => 8,
                                };
                                let mut v: u32 = 0;
                                for _ in 0..n {
                                    let d = chars.next()?.to_digit(16)?;
                                    v = v * 16 + d;
                                }
                                if e == 'x' {
                                    out.push(v as u8);
                                } else {
                                    let ch = char::from_u32(v)?;
                                    let mut buf = [0u8; 4];
                                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                                }
                            }
                            '0'..='7' => {
                                let mut v = e.to_digit(8)?;
                                for _ in 0..2 {
                                    v = v * 8 + chars.next()?.to_digit(8)?;
                                }
                                if v > 255 {
                                    return None;
                                }
                                out.push(v as u8);
                            }
                            _ => return None,
                        }
                    }
                    c => {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                }
            }
            Some(out)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// ModulePath (read.go)

/// x/mod `ModulePath`: the module path from a go.mod without a full parse, or
/// `None` where Go returns `""`.
pub fn module_path(data: &[u8]) -> Option<String> {
    let mut rest = data;
    while !rest.is_empty() {
        let mut line = rest;
        rest = &[];
        if let Some(i) = line.iter().position(|&b| b == b'\n') {
            rest = &line[i + 1..];
            line = &line[..i];
        }
        if let Some(i) = line.windows(2).position(|w| w == b"//") {
            line = &line[..i];
        }
        let line = trim_space(line);
        let Some(after) = line.strip_prefix(b"module") else {
            continue;
        };
        let n = after.len();
        let after = trim_space(after);
        if after.len() == n || after.is_empty() {
            continue;
        }
        if after[0] == b'"' || after[0] == b'`' {
            let s = String::from_utf8_lossy(after);
            return go_unquote(&s).map(|b| String::from_utf8_lossy(&b).into_owned());
        }
        return Some(String::from_utf8_lossy(after).into_owned());
    }
    None
}

fn trim_space(mut b: &[u8]) -> &[u8] {
    while let Some((&c, rest)) = b.split_first() {
        if c.is_ascii_whitespace() || c == 0x0b {
            b = rest;
        } else {
            break;
        }
    }
    while let Some((&c, rest)) = b.split_last() {
        if c.is_ascii_whitespace() || c == 0x0b {
            b = rest;
        } else {
            break;
        }
    }
    b
}

// ---------------------------------------------------------------------------
// The interpreted file (rule.go)

/// The `module` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    /// The `Deprecated:` paragraph of the statement's comments, or empty.
    pub deprecated: String,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Require {
    pub path: String,
    pub version: String,
    pub indirect: bool,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exclude {
    pub path: String,
    pub version: String,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replace {
    pub old_path: String,
    pub old_version: Option<String>,
    /// A module path, or a directory path when `new_version` is `None`.
    pub new_path: String,
    pub new_version: Option<String>,
    pub line: usize,
}

/// A closed version interval `[low, high]` (`low == high` for a single version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retract {
    pub low: String,
    pub high: String,
    pub rationale: String,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Godebug {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    pub path: String,
    pub line: usize,
}

/// A parsed go.mod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModFile {
    pub module: Option<Module>,
    pub go: Option<String>,
    pub toolchain: Option<String>,
    pub godebug: Vec<Godebug>,
    pub require: Vec<Require>,
    pub exclude: Vec<Exclude>,
    pub replace: Vec<Replace>,
    pub retract: Vec<Retract>,
    pub tool: Vec<String>,
    pub ignore: Vec<String>,
}

/// A parsed go.work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkFile {
    pub go: Option<String>,
    pub toolchain: Option<String>,
    pub godebug: Vec<Godebug>,
    pub use_: Vec<Use>,
    pub replace: Vec<Replace>,
}

/// x/mod `Parse(file, data, nil)`: the main module's go.mod, strict.
pub fn parse(file: &str, data: &[u8]) -> Result<ModFile, ModfileError> {
    parse_to_file(file, data, true)
}

/// x/mod `ParseLax(file, data, nil)`: a dependency's go.mod; unknown and
/// main-module-only directives are ignored, malformed retractions skipped.
pub fn parse_lax(file: &str, data: &[u8]) -> Result<ModFile, ModfileError> {
    parse_to_file(file, data, false)
}

/// `go` line regexps of rule.go (GoVersionRE, laxGoVersionRE).
fn go_version_ok(v: &str) -> bool {
    // ^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$
    let b = v.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize| -> bool {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > s && !(b[s] == b'0' && *i - s > 1)
    };
    if i >= b.len() || b[0] == b'0' || !num(&mut i) {
        return false;
    }
    if i >= b.len() || b[i] != b'.' {
        return false;
    }
    i += 1;
    if !num(&mut i) {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !num(&mut i) {
            return false;
        }
    }
    if i == b.len() {
        return true;
    }
    let s = i;
    while i < b.len() && b[i].is_ascii_lowercase() {
        i += 1;
    }
    if i == s {
        return false;
    }
    let s = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i > s && i == b.len()
}

/// laxGoVersionRE `^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)$`: the major.minor part.
fn lax_go_version(v: &str) -> Option<String> {
    let b = v.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'v'));
    let s = i;
    if i >= b.len() || !matches!(b[i], b'1'..=b'9') {
        return None;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i >= b.len() || b[i] != b'.' {
        return None;
    }
    i += 1;
    if i >= b.len() || !b[i].is_ascii_digit() {
        return None;
    }
    if b[i] == b'0' {
        i += 1;
    } else {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    // The rest must be non-empty and start with a non-digit.
    if i >= b.len() || b[i].is_ascii_digit() {
        return None;
    }
    Some(v[s..i].to_string())
}

/// ToolchainRE `^default$|^go1($|\.)`.
fn toolchain_ok(v: &str) -> bool {
    v == "default" || v == "go1" || v.starts_with("go1.")
}

/// rule.go `IsDirectoryPath`.
pub fn is_directory_path(ns: &str) -> bool {
    let b = ns.as_bytes();
    ns == "."
        || ns.starts_with("./")
        || ns.starts_with(".\\")
        || ns == ".."
        || ns.starts_with("../")
        || ns.starts_with("..\\")
        || ns.starts_with('/')
        || ns.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// rule.go `parseString`: unquotes `"..."`, rejects other quotes; returns the
/// value and the re-quoted token.
fn parse_string(tok: &str) -> Result<String, String> {
    let t = if tok.starts_with('"') {
        match go_unquote(tok) {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => return Err("invalid syntax".to_string()),
        }
    } else if tok.contains(['"', '\'', '`']) {
        return Err("unquoted string cannot contain quote".to_string());
    } else {
        tok.to_string()
    };
    Ok(t)
}

/// A directive-level error before file/line are attached.
struct DirErr {
    verb: String,
    mod_path: String,
    message: String,
}

impl DirErr {
    fn plain(message: String) -> Self {
        DirErr {
            verb: String::new(),
            mod_path: String::new(),
            message,
        }
    }
    /// An inner `modfile.Error` without position, as its `Error()` string.
    fn flatten(self) -> String {
        let mut s = String::new();
        if !self.mod_path.is_empty() {
            s = format!("{} {}: ", self.verb, self.mod_path);
        } else if !self.verb.is_empty() {
            s = format!("{}: ", self.verb);
        }
        s + &self.message
    }
}

/// rule.go `parseVersion` with a nil fixer (canonicalise or fail); `raw` keeps
/// the version as written (the retract `dontFixRetract` fixer).
fn parse_version(verb: &str, path: &str, tok: &str, raw: bool) -> Result<String, DirErr> {
    let t = match parse_string(tok) {
        Ok(t) => t,
        Err(e) => {
            return Err(DirErr {
                verb: verb.to_string(),
                mod_path: path.to_string(),
                message: format!("version {} invalid: {e}", go_quote(tok)),
            });
        }
    };
    if raw {
        return Ok(t);
    }
    let cv = version::canonical_module_version(&t);
    if cv.is_empty() {
        return Err(DirErr {
            verb: verb.to_string(),
            mod_path: path.to_string(),
            message: format!(
                "version {} invalid: must be of the form v1.2.3",
                go_quote(&t)
            ),
        });
    }
    Ok(cv)
}

fn module_path_major(path: &str) -> Result<&str, String> {
    match modpath::split_path_version(path) {
        Some((_, major)) => Ok(major),
        None => Err("invalid module path".to_string()),
    }
}

/// rule.go `parseVersionInterval`; consumes the interval's tokens from `args`.
fn parse_version_interval(
    verb: &str,
    path: &str,
    args: &mut &[String],
    raw: bool,
) -> Result<(String, String), DirErr> {
    let toks = *args;
    let plain = |m: &str| Err(DirErr::plain(m.to_string()));
    if toks.is_empty() || toks[0] == "(" {
        return plain("expected '[' or version");
    }
    if toks[0] != "[" {
        let v = parse_version(verb, path, &toks[0], raw)?;
        *args = &toks[1..];
        return Ok((v.clone(), v));
    }
    let toks = &toks[1..];
    if toks.is_empty() {
        return plain("expected version after '['");
    }
    let low = parse_version(verb, path, &toks[0], raw)?;
    let toks = &toks[1..];
    if toks.is_empty() || toks[0] != "," {
        return plain("expected ',' after version");
    }
    let toks = &toks[1..];
    if toks.is_empty() {
        return plain("expected version after ','");
    }
    let high = parse_version(verb, path, &toks[0], raw)?;
    let toks = &toks[1..];
    if toks.is_empty() || toks[0] != "]" {
        return plain("expected ']' after version");
    }
    *args = &toks[1..];
    Ok((low, high))
}

/// rule.go `parseReplace`.
fn parse_replace(verb: &str, args: &[String], line: usize) -> Result<Replace, DirErr> {
    let arrow = if args.len() >= 2 && args[1] == "=>" {
        1
    } else {
        2
    };
    if args.len() < arrow + 2 || args.len() > arrow + 3 || args[arrow] != "=>" {
        return Err(DirErr::plain(format!(
            "usage: {verb} module/path [v1.2.3] => other/module v1.4\n\t or {verb} module/path [v1.2.3] => ../local/directory"
        )));
    }
    let s =
        parse_string(&args[0]).map_err(|e| DirErr::plain(format!("invalid quoted string: {e}")))?;
    let path_major = module_path_major(&s).map_err(|message| DirErr {
        verb: verb.to_string(),
        mod_path: s.clone(),
        message,
    })?;
    let mut old_version = None;
    if arrow == 2 {
        let v = parse_version(verb, &s, &args[1], false).map_err(|e| DirErr::plain(e.flatten()))?;
        check_path_major(&v, path_major).map_err(|message| DirErr {
            verb: verb.to_string(),
            mod_path: s.clone(),
            message,
        })?;
        old_version = Some(v);
    }
    let ns = parse_string(&args[arrow + 1])
        .map_err(|e| DirErr::plain(format!("invalid quoted string: {e}")))?;
    let mut new_version = None;
    if args.len() == arrow + 2 {
        if !is_directory_path(&ns) {
            if ns.contains('@') {
                return Err(DirErr::plain(
                    "replacement module must match format 'path version', not 'path@version'"
                        .to_string(),
                ));
            }
            return Err(DirErr::plain(
                "replacement module without version must be directory path (rooted or starting with . or ..)"
                    .to_string(),
            ));
        }
        if std::path::MAIN_SEPARATOR == '/' && ns.contains('\\') {
            return Err(DirErr::plain(
                "replacement directory appears to be Windows path (on a non-windows system)"
                    .to_string(),
            ));
        }
    }
    if args.len() == arrow + 3 {
        let nv = parse_version(verb, &ns, &args[arrow + 2], false)
            .map_err(|e| DirErr::plain(e.flatten()))?;
        if is_directory_path(&ns) {
            return Err(DirErr::plain(format!(
                "replacement module directory path {} cannot have version",
                go_quote(&ns)
            )));
        }
        new_version = Some(nv);
    }
    Ok(Replace {
        old_path: s,
        old_version,
        new_path: ns,
        new_version,
        line,
    })
}

/// `module.CheckPathMajor`, as its error text.
fn check_path_major(v: &str, path_major: &str) -> Result<(), String> {
    modpath::check_path_major(v, path_major).map_err(|e| e.to_string())
}

/// rule.go `parseDirectiveComment`.
fn directive_comment(syntax: &FileSyntax, block: Option<usize>, line: usize) -> String {
    let mut c = &syntax.comments[line];
    if let Some(b) = block
        && c.before.is_empty()
        && c.suffix.is_empty()
    {
        c = &syntax.comments[b];
    }
    let mut lines = Vec::new();
    for com in c.before.iter().chain(c.suffix.iter()) {
        if let Some(t) = com.token.strip_prefix("//") {
            lines.push(t.trim());
        }
    }
    lines.join("\n")
}

/// rule.go `parseDeprecation` (deprecatedRE `(?s)(?:^|\n\n)Deprecated: *(.*?)(?:$|\n\n)`).
fn deprecation(text: &str) -> String {
    let mut search = 0;
    while let Some(i) = text[search..].find("Deprecated:") {
        let p = search + i;
        if p == 0 || text[..p].ends_with("\n\n") {
            let rest = text[p + "Deprecated:".len()..].trim_start_matches(' ');
            return match rest.find("\n\n") {
                Some(j) => rest[..j].to_string(),
                None => rest.to_string(),
            };
        }
        search = p + 1;
    }
    String::new()
}

/// rule.go `isIndirect`.
fn is_indirect(syntax: &FileSyntax, line: usize) -> bool {
    let Some(first) = syntax.comments[line].suffix.first() else {
        return false;
    };
    let t = first.token.strip_prefix("//").unwrap_or(&first.token);
    let f: Vec<&str> = t.split_whitespace().collect();
    (f.len() == 1 && f[0] == "indirect") || (f.len() > 1 && f[0] == "indirect;")
}

struct Adder<'s> {
    file: &'s str,
    syntax: &'s FileSyntax,
    errs: Vec<ErrorLine>,
}

impl Adder<'_> {
    fn push(&mut self, pos: Position, err: DirErr) {
        self.errs.push(ErrorLine {
            filename: self.file.to_string(),
            pos,
            verb: err.verb,
            mod_path: err.mod_path,
            message: err.message,
        });
    }
    fn errorf(&mut self, pos: Position, message: String) {
        self.push(pos, DirErr::plain(message));
    }
}

/// A directive line (block comments id, line, verb, args), or an unknown block.
enum Directive<'s> {
    Line(Option<usize>, &'s Line, &'s str, &'s [String]),
    UnknownBlock(Position, String),
}

/// Every directive line of the syntax tree, in file order.
fn directive_lines<'s>(
    syntax: &'s FileSyntax,
    strict: bool,
    block_verbs: &[&str],
) -> Vec<Directive<'s>> {
    let mut out = Vec::new();
    for stmt in &syntax.stmts {
        match stmt {
            Stmt::CommentBlock { .. } => {}
            Stmt::Line(l) => out.push(Directive::Line(
                None,
                l,
                l.tokens[0].as_str(),
                &l.tokens[1..],
            )),
            Stmt::Block(b) => {
                if b.tokens.len() > 1 || !block_verbs.contains(&b.tokens[0].as_str()) {
                    if strict {
                        out.push(Directive::UnknownBlock(
                            b.start,
                            format!("unknown block type: {}", b.tokens.join(" ")),
                        ));
                    }
                    continue;
                }
                for l in &b.lines {
                    out.push(Directive::Line(
                        Some(b.comments),
                        l,
                        b.tokens[0].as_str(),
                        &l.tokens[..],
                    ));
                }
            }
        }
    }
    out
}

fn parse_to_file(file: &str, data: &[u8], strict: bool) -> Result<ModFile, ModfileError> {
    let syntax = parse_syntax(file, data)?;
    let mut f = ModFile::default();
    let mut ad = Adder {
        file,
        syntax: &syntax,
        errs: Vec::new(),
    };
    let lines = directive_lines(
        &syntax,
        strict,
        &[
            "module", "godebug", "require", "exclude", "replace", "retract", "tool", "ignore",
        ],
    );
    for d in lines {
        match d {
            Directive::Line(block, line, verb, args) => {
                add(&mut f, &mut ad, block, line, verb, args, strict)
            }
            Directive::UnknownBlock(pos, msg) => ad.errorf(pos, msg),
        }
    }
    if ad.errs.is_empty() {
        Ok(f)
    } else {
        Err(ModfileError { errors: ad.errs })
    }
}

fn add(
    f: &mut ModFile,
    ad: &mut Adder<'_>,
    block: Option<usize>,
    line: &Line,
    verb: &str,
    args: &[String],
    strict: bool,
) {
    if !strict && !matches!(verb, "go" | "module" | "retract" | "require" | "ignore") {
        return;
    }
    let pos = line.start;
    let ln = pos.line;
    match verb {
        "go" => {
            if f.go.is_some() {
                return ad.errorf(pos, "repeated go statement".into());
            }
            if args.len() != 1 {
                return ad.errorf(pos, "go directive expects exactly one argument".into());
            }
            let mut v = args[0].clone();
            if !go_version_ok(&v) {
                match (strict, lax_go_version(&v)) {
                    (false, Some(fixed)) => v = fixed,
                    _ => {
                        return ad.errorf(
                            pos,
                            format!("invalid go version '{v}': must match format 1.23.0"),
                        );
                    }
                }
            }
            f.go = Some(v);
        }
        "toolchain" => {
            if f.toolchain.is_some() {
                return ad.errorf(pos, "repeated toolchain statement".into());
            }
            if args.len() != 1 {
                return ad.errorf(
                    pos,
                    "toolchain directive expects exactly one argument".into(),
                );
            }
            if !toolchain_ok(&args[0]) {
                return ad.errorf(
                    pos,
                    format!(
                        "invalid toolchain version '{}': must match format go1.23.0 or default",
                        args[0]
                    ),
                );
            }
            f.toolchain = Some(args[0].clone());
        }
        "module" => {
            if f.module.is_some() {
                return ad.errorf(pos, "repeated module statement".into());
            }
            let deprecated = deprecation(&directive_comment(ad.syntax, block, line.comments));
            f.module = Some(Module {
                path: String::new(),
                deprecated,
                line: ln,
            });
            if args.len() != 1 {
                return ad.errorf(pos, "usage: module module/path".into());
            }
            match parse_string(&args[0]) {
                Ok(s) => {
                    if let Some(m) = f.module.as_mut() {
                        m.path = s;
                    }
                }
                Err(e) => ad.errorf(pos, format!("invalid quoted string: {e}")),
            }
        }
        "godebug" => match parse_godebug(args) {
            Some((key, value)) => f.godebug.push(Godebug {
                key,
                value,
                line: ln,
            }),
            None => ad.errorf(pos, "usage: godebug key=value".into()),
        },
        "require" | "exclude" => {
            if args.len() != 2 {
                return ad.errorf(pos, format!("usage: {verb} module/path v1.2.3"));
            }
            let s = match parse_string(&args[0]) {
                Ok(s) => s,
                Err(e) => return ad.errorf(pos, format!("invalid quoted string: {e}")),
            };
            let v = match parse_version(verb, &s, &args[1], false) {
                Ok(v) => v,
                Err(e) => return ad.errorf(pos, e.flatten()),
            };
            let path_major = match module_path_major(&s) {
                Ok(m) => m,
                Err(e) => return ad.errorf(pos, e),
            };
            if let Err(message) = check_path_major(&v, path_major) {
                return ad.push(
                    pos,
                    DirErr {
                        verb: verb.to_string(),
                        mod_path: s,
                        message,
                    },
                );
            }
            if verb == "require" {
                f.require.push(Require {
                    path: s,
                    version: v,
                    indirect: is_indirect(ad.syntax, line.comments),
                    line: ln,
                });
            } else {
                f.exclude.push(Exclude {
                    path: s,
                    version: v,
                    line: ln,
                });
            }
        }
        "replace" => match parse_replace(verb, args, ln) {
            Ok(r) => f.replace.push(r),
            Err(e) => ad.push(pos, e),
        },
        "retract" => {
            let rationale = directive_comment(ad.syntax, block, line.comments);
            let mut rest = args;
            let (low, high) = match parse_version_interval(verb, "", &mut rest, true) {
                Ok(vi) => vi,
                Err(e) => {
                    if strict {
                        ad.push(pos, e);
                    }
                    return;
                }
            };
            if !rest.is_empty() && strict {
                return ad.errorf(
                    pos,
                    format!("unexpected token after version: {}", go_quote(&rest[0])),
                );
            }
            f.retract.push(Retract {
                low,
                high,
                rationale,
                line: ln,
            });
        }
        "tool" | "ignore" => {
            if args.len() != 1 {
                return ad.errorf(
                    pos,
                    format!("{verb} directive expects exactly one argument"),
                );
            }
            match parse_string(&args[0]) {
                Ok(s) if verb == "tool" => f.tool.push(s),
                Ok(s) => f.ignore.push(s),
                Err(e) => ad.errorf(pos, format!("invalid quoted string: {e}")),
            }
        }
        _ => ad.errorf(pos, format!("unknown directive: {verb}")),
    }
}

fn parse_godebug(args: &[String]) -> Option<(String, String)> {
    if args.len() != 1 || args[0].contains(['"', '`', '\'', ',']) {
        return None;
    }
    let (k, v) = args[0].split_once('=')?;
    Some((k.to_string(), v.to_string()))
}

/// x/mod `ParseWork(file, data, nil)`.
pub fn parse_work(file: &str, data: &[u8]) -> Result<WorkFile, ModfileError> {
    let syntax = parse_syntax(file, data)?;
    let mut f = WorkFile::default();
    let mut ad = Adder {
        file,
        syntax: &syntax,
        errs: Vec::new(),
    };
    let lines = directive_lines(&syntax, true, &["godebug", "use", "replace"]);
    for d in lines {
        let (line, verb, args) = match d {
            Directive::Line(_, line, verb, args) => (line, verb, args),
            Directive::UnknownBlock(pos, msg) => {
                ad.errorf(pos, msg);
                continue;
            }
        };
        let pos = line.start;
        let ln = pos.line;
        match verb {
            "go" | "toolchain" => {
                let is_go = verb == "go";
                let slot = if is_go { &mut f.go } else { &mut f.toolchain };
                if slot.is_some() {
                    ad.errorf(pos, format!("repeated {verb} statement"));
                } else if args.len() != 1 {
                    ad.errorf(
                        pos,
                        format!("{verb} directive expects exactly one argument"),
                    );
                } else if is_go && !go_version_ok(&args[0]) {
                    ad.errorf(
                        pos,
                        format!("invalid go version '{}': must match format 1.23.0", args[0]),
                    );
                } else if !is_go && !toolchain_ok(&args[0]) {
                    ad.errorf(
                        pos,
                        format!(
                            "invalid toolchain version '{}': must match format go1.23.0 or default",
                            args[0]
                        ),
                    );
                } else {
                    *slot = Some(args[0].clone());
                }
            }
            "godebug" => match parse_godebug(args) {
                Some((key, value)) => f.godebug.push(Godebug {
                    key,
                    value,
                    line: ln,
                }),
                None => ad.errorf(pos, "usage: godebug key=value".into()),
            },
            "use" => {
                if args.len() != 1 {
                    ad.errorf(pos, format!("usage: {verb} local/dir"));
                    continue;
                }
                match parse_string(&args[0]) {
                    Ok(s) => f.use_.push(Use { path: s, line: ln }),
                    Err(e) => ad.errorf(pos, format!("invalid quoted string: {e}")),
                }
            }
            "replace" => match parse_replace(verb, args, ln) {
                Ok(r) => f.replace.push(r),
                Err(e) => ad.push(pos, e),
            },
            _ => ad.errorf(pos, format!("unknown directive: {verb}")),
        }
    }
    if ad.errs.is_empty() {
        Ok(f)
    } else {
        Err(ModfileError { errors: ad.errs })
    }
}

/// The tokens of every statement, joined by spaces (block lines prefixed by the
/// block's tokens and parentheses), for the punctuation vectors.
#[cfg(test)]
fn statement_tokens(data: &[u8]) -> Result<String, ModfileError> {
    let syntax = parse_syntax("file", data)?;
    let mut out: Vec<String> = Vec::new();
    for stmt in &syntax.stmts {
        match stmt {
            Stmt::CommentBlock { .. } => {}
            Stmt::Line(l) => out.extend(l.tokens.iter().cloned()),
            Stmt::Block(b) => {
                out.extend(b.tokens.iter().cloned());
                out.push("(".into());
                for l in &b.lines {
                    out.extend(l.tokens.iter().cloned());
                }
                out.push(")".into());
            }
        }
    }
    Ok(out.join(" "))
}

/// rule.go `checkCanonicalVersion` (used by `AddExclude` / `AddRetract`): the
/// checks the go command applies to a version it writes into go.mod.
pub fn check_canonical_version(path: &str, vers: &str) -> Result<(), String> {
    let (path_major, path_major_ok) = match modpath::split_path_version(path) {
        Some((_, m)) => (m, true),
        None => ("", false),
    };
    if vers.is_empty() || vers != version::canonical_module_version(vers) {
        if path_major.is_empty() {
            return Err(format!(
                "version {} invalid: must be of the form v1.2.3",
                go_quote(vers)
            ));
        }
        return Err(format!(
            "version {} invalid: must be of the form {}.2.3",
            go_quote(vers),
            modpath::path_major_prefix(path_major).unwrap_or("")
        ));
    }
    if path_major_ok && let Err(e) = check_path_major(vers, path_major) {
        if path_major.is_empty() {
            return Err(format!(
                "version {} invalid: should be {vers}+incompatible (or module {path}/{})",
                go_quote(vers),
                version::major(vers)
            ));
        }
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
