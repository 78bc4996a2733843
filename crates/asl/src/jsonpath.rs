//! AWS Step Functions' JSONPath dialect (Jayway-like), written by hand because no crate has
//! its semantics (see DEPENDENCIES.md §3).
//!
//! API CONTRACT (other modules rely on exactly these signatures):
//! - `Path::parse("$.a.b")`, `Path::parse("$$.Execution.Id")`, `Path::parse("$var.x")`;
//! - `Path::select(&root_value) -> Option<Value>`: Jayway result shape;
//! - `Path::assign(&mut target, value)`: ResultPath writes.
//!
//! Design decisions, where the dialect differs from RFC 9535:
//! - **Result shape.** A *definite* path (names and single indexes only) selects a bare value, or
//!   nothing when it is missing; every other path selects an array of its matches, possibly empty.
//! - **Filters.** `[?( … )]` applied to an array tests each element that is an object or an array;
//!   applied to an object it tests the object itself (Jayway). Scalars never match, as AWS
//!   documents. Equality follows Jayway: a string on the left equals a number whose text it is,
//!   and a number on the left equals a string that parses to it. Ordering compares only
//!   number with number and string with string. An existence test on an indefinite sub-path is
//!   always true, as in Jayway.
//! - **Deep scan with a filter** (`..[?( … )]`) tests every object at or below the node once.
//! - **Unions** of names or of indexes select an array, in the order written.
//! - **Slices** follow RFC 9535, steps included (Jayway ignores the step).
//! - **Not supported**, as AWS: functions (`.length()`), regular expressions (`=~`), script
//!   expressions, and the `in`/`nin`/`subsetof`… operators.
//!
//! Parsing is done once; evaluation walks the parsed segments without recursion on the document,
//! and its total work is bounded so that hostile paths over large documents cannot run away.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// How deeply filters, parentheses, negations and literals may nest inside a path.
const MAX_NESTING: usize = 64;

/// How many nodes one evaluation may visit before it gives up (and selects nothing).
const MAX_STEPS: usize = 5_000_000;

/// Which document a path starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's input (or whatever document the caller evaluates against).
    Input,
    /// `$$`: the Context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// `.name`, `.*` or `[…]`: applies the selector to each current node.
    Child(Selector),
    /// `..name`, `..*` or `..[…]`: applies the selector to each current node and every node below.
    Descendant(Selector),
}

/// What a segment picks out of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    /// `.name` or `['name']`: an object member.
    Name(String),
    /// `['a','b']`: several object members, in the order written.
    Names(Vec<String>),
    /// `[0]` or `[-1]`: an array element, negative indexes counting from the end.
    Index(i64),
    /// `[0,2]`: several array elements, in the order written.
    Indexes(Vec<i64>),
    /// `*` or `[*]`: every member or element.
    Wildcard,
    /// `[start:end:step]`.
    Slice(Slice),
    /// `[?( … )]`.
    Filter(Box<Filter>),
}

/// An array slice, `[start:end:step]`, each bound optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// The first index (default: the start for a positive step, the end for a negative one).
    pub start: Option<i64>,
    /// The index to stop before (default: past the far end in the step's direction).
    pub end: Option<i64>,
    /// The stride (default 1; 0 selects nothing).
    pub step: Option<i64>,
}

/// A filter expression, the inside of `[?( … )]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `a || b`.
    Or(Box<Filter>, Box<Filter>),
    /// `a && b`.
    And(Box<Filter>, Box<Filter>),
    /// `!a`.
    Not(Box<Filter>),
    /// `@.a`: true when the sub-path finds something (even `null` or `false`).
    Exists(Operand),
    /// `left op right`.
    Compare(Operand, CompareOp, Operand),
}

/// One side of a filter comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `@…`: a path from the node under test.
    Current(Vec<Segment>),
    /// `$…`: a path from the document's root.
    Root(Vec<Segment>),
    /// A JSON literal: string (single or double quotes), number, `true`, `false`, `null`, array
    /// or object.
    Literal(Value),
}

/// A filter comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    root: Root,
    source: String,
    segments: Vec<Segment>,
}

/// A path that does not parse, with a message saying why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
}

/// A ResultPath that cannot be applied to the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AssignError {
    /// What is wrong.
    pub message: String,
}

impl Path {
    /// Parses a path: `$`, `$$` or `$name`, then segments.
    pub fn parse(source: &str) -> Result<Path, ParseError> {
        let mut parser = Parser {
            source,
            pos: 0,
            depth: 0,
        };
        if !parser.eat('$') {
            return Err(parser.error("a path must start with '$'"));
        }
        let root = if parser.eat('$') {
            Root::Context
        } else if parser.peek().is_some_and(is_variable_char) {
            let start = parser.pos;
            while parser.peek().is_some_and(is_variable_char) {
                parser.bump();
            }
            Root::Variable(source[start..parser.pos].to_owned())
        } else {
            Root::Input
        };
        let segments = parser.segments(false)?;
        Ok(Path {
            root,
            source: source.to_owned(),
            segments,
        })
    }

    /// The document the path starts from.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The path as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed segments after the root.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// True when the path has only names and single indexes (a "definite" path).
    pub fn is_definite(&self) -> bool {
        is_definite(&self.segments)
    }

    /// True when the path is an AWS "reference path": names and single indexes only.
    pub fn is_reference_path(&self) -> bool {
        self.segments.iter().all(|segment| {
            matches!(
                segment,
                Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(0..))
            )
        })
    }

    /// Evaluates the path against the document its root names.
    ///
    /// A definite path gives the bare value, or `None` when it is missing. An indefinite path gives
    /// an array of the matches, possibly empty. An evaluation that would take more than five million
    /// steps (nodes visited plus matches) gives `None`.
    pub fn select(&self, document: &Value) -> Option<Value> {
        if self.is_definite() {
            return select_definite(&self.segments, document).cloned();
        }
        let mut evaluator = Evaluator {
            root: document,
            steps_left: MAX_STEPS,
        };
        let matches = evaluator.select_all(&self.segments, document).ok()?;
        Some(Value::Array(matches.into_iter().cloned().collect()))
    }

    /// Writes `value` at this (reference) path inside `target`, creating intermediate objects.
    /// `$` replaces the whole document.
    pub fn assign(&self, target: &mut Value, value: Value) -> Result<(), AssignError> {
        if !self.is_reference_path() {
            return Err(AssignError {
                message: format!(
                    "the path '{}' is not a reference path: only names and non-negative indexes can be written",
                    self.source
                ),
            });
        }
        let Some((last, init)) = self.segments.split_last() else {
            *target = value;
            return Ok(());
        };
        let mut current = target;
        for (done, segment) in init.iter().enumerate() {
            let reached = match (segment, current) {
                (Segment::Child(Selector::Name(name)), Value::Object(members)) => Some(
                    members
                        .entry(name.clone())
                        .or_insert_with(|| Value::Object(Map::new())),
                ),
                (Segment::Child(Selector::Index(index)), Value::Array(items)) => {
                    usize::try_from(*index)
                        .ok()
                        .and_then(|position| items.get_mut(position))
                }
                _ => None,
            };
            current = match reached {
                Some(next) => next,
                None => return Err(self.assign_error(done)),
            };
        }
        match (last, current) {
            (Segment::Child(Selector::Name(name)), Value::Object(members)) => {
                members.insert(name.clone(), value);
                Ok(())
            }
            (Segment::Child(Selector::Index(index)), Value::Array(items)) => {
                match usize::try_from(*index)
                    .ok()
                    .and_then(|position| items.get_mut(position))
                {
                    Some(slot) => {
                        *slot = value;
                        Ok(())
                    }
                    None => Err(self.assign_error(init.len())),
                }
            }
            _ => Err(self.assign_error(init.len())),
        }
    }

    /// The error for a write that fails at segment `failed` (the value before it is unsuitable).
    fn assign_error(&self, failed: usize) -> AssignError {
        let mut prefix = match &self.root {
            Root::Input => "$".to_owned(),
            Root::Context => "$$".to_owned(),
            Root::Variable(name) => format!("${name}"),
        };
        for segment in &self.segments[..failed] {
            match segment {
                Segment::Child(Selector::Name(name)) => {
                    prefix.push_str(&format!("['{}']", name.replace('\'', "\\'")))
                }
                Segment::Child(Selector::Index(index)) => prefix.push_str(&format!("[{index}]")),
                _ => {}
            }
        }
        let wanted = match self.segments.get(failed) {
            Some(Segment::Child(Selector::Index(index))) => {
                format!("an array with an element at index {index}")
            }
            _ => "an object".to_owned(),
        };
        AssignError {
            message: format!(
                "unable to apply the path '{}': the value at '{prefix}' is not {wanted}",
                self.source
            ),
        }
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.source)
    }
}

/// True when the segments are names and single indexes only.
fn is_definite(segments: &[Segment]) -> bool {
    segments.iter().all(|segment| {
        matches!(
            segment,
            Segment::Child(Selector::Name(_)) | Segment::Child(Selector::Index(_))
        )
    })
}

/// Characters allowed in a variable name after `$`.
fn is_variable_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Characters allowed in a dot-notation name; inside a filter the operators end a name too.
fn is_name_char(c: char, in_filter: bool) -> bool {
    if c.is_whitespace() || matches!(c, '.' | '[' | ']' | '(' | ')') {
        return false;
    }
    !(in_filter && matches!(c, '=' | '!' | '<' | '>' | '&' | '|' | ','))
}

// ---------------------------------------------------------------------------------------------
// Parsing.

/// A cursor over the path text.
struct Parser<'s> {
    source: &'s str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.source[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.source[self.pos..].chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.pos += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, expected: &str) -> bool {
        if self.source[self.pos..].starts_with(expected) {
            self.pos += expected.len();
            true
        } else {
            false
        }
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn expect(&mut self, expected: char) -> Result<(), ParseError> {
        if self.eat(expected) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{expected}'")))
        }
    }

    fn error(&self, what: &str) -> ParseError {
        const SHOWN: usize = 200;
        let shown = if self.source.len() > SHOWN {
            let mut end = SHOWN;
            while !self.source.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &self.source[..end])
        } else {
            self.source.to_owned()
        };
        ParseError {
            message: format!(
                "invalid JSONPath '{shown}': {what} at position {}",
                self.pos
            ),
        }
    }

    /// Enters one level of nesting, refusing to go deeper than [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error("the path nests too deeply"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Segments until the end of the text or, inside a filter, until something that is not a
    /// segment.
    fn segments(&mut self, in_filter: bool) -> Result<Vec<Segment>, ParseError> {
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.bump();
                    if self.eat('.') {
                        let selector = match self.peek() {
                            Some('*') => {
                                self.bump();
                                Selector::Wildcard
                            }
                            Some('[') => {
                                self.bump();
                                self.bracket()?
                            }
                            Some(c) if is_name_char(c, in_filter) => {
                                Selector::Name(self.dot_name(in_filter))
                            }
                            _ => return Err(self.error("expected a name, '*' or '[' after '..'")),
                        };
                        segments.push(Segment::Descendant(selector));
                    } else {
                        let selector = match self.peek() {
                            Some('*') => {
                                self.bump();
                                Selector::Wildcard
                            }
                            // Jayway accepts `.['name']`, and AWS's documentation uses it.
                            Some('[') => {
                                self.bump();
                                self.bracket()?
                            }
                            Some(c) if is_name_char(c, in_filter) => {
                                Selector::Name(self.dot_name(in_filter))
                            }
                            _ => return Err(self.error("expected a name, '*' or '[' after '.'")),
                        };
                        segments.push(Segment::Child(selector));
                    }
                }
                Some('[') => {
                    self.bump();
                    let selector = self.bracket()?;
                    segments.push(Segment::Child(selector));
                }
                Some('(') => return Err(self.error("functions are not supported")),
                None => break,
                Some(_) if in_filter => break,
                Some(c) => return Err(self.error(&format!("unexpected '{c}'"))),
            }
        }
        Ok(segments)
    }

    fn dot_name(&mut self, in_filter: bool) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| is_name_char(c, in_filter)) {
            self.bump();
        }
        self.source[start..self.pos].to_owned()
    }

    /// The inside of `[…]`, after the `[`, up to and including the `]`.
    fn bracket(&mut self) -> Result<Selector, ParseError> {
        self.skip_whitespace();
        let selector = match self.peek() {
            Some('*') => {
                self.bump();
                Selector::Wildcard
            }
            Some('\'' | '"') => {
                let mut names = vec![self.quoted()?];
                loop {
                    self.skip_whitespace();
                    if !self.eat(',') {
                        break;
                    }
                    self.skip_whitespace();
                    if !matches!(self.peek(), Some('\'' | '"')) {
                        return Err(self.error("expected a quoted name after ','"));
                    }
                    names.push(self.quoted()?);
                }
                if names.len() == 1 {
                    Selector::Name(names.remove(0))
                } else {
                    Selector::Names(names)
                }
            }
            Some('?') => {
                self.bump();
                self.skip_whitespace();
                if !self.eat('(') {
                    return Err(self.error("expected '(' after '?'"));
                }
                let filter = self.or_expression()?;
                self.skip_whitespace();
                self.expect(')')?;
                Selector::Filter(Box::new(filter))
            }
            Some('(') => return Err(self.error("script expressions are not supported")),
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => self.indexes_or_slice()?,
            _ => {
                return Err(self.error(
                    "expected a quoted name, an index, a slice, '*' or a filter inside '[…]'",
                ));
            }
        };
        self.skip_whitespace();
        self.expect(']')?;
        Ok(selector)
    }

    fn indexes_or_slice(&mut self) -> Result<Selector, ParseError> {
        let start = self.integer()?;
        self.skip_whitespace();
        if self.eat(':') {
            self.skip_whitespace();
            let end = self.integer()?;
            self.skip_whitespace();
            let mut step = None;
            if self.eat(':') {
                self.skip_whitespace();
                step = self.integer()?;
            }
            return Ok(Selector::Slice(Slice { start, end, step }));
        }
        let Some(first) = start else {
            return Err(self.error("expected an index"));
        };
        let mut indexes = vec![first];
        loop {
            self.skip_whitespace();
            if !self.eat(',') {
                break;
            }
            self.skip_whitespace();
            match self.integer()? {
                Some(index) => indexes.push(index),
                None => return Err(self.error("expected an index after ','")),
            }
        }
        Ok(if indexes.len() == 1 {
            Selector::Index(first)
        } else {
            Selector::Indexes(indexes)
        })
    }

    /// An optional integer; values beyond `i64` saturate, which is harmless for indexes.
    fn integer(&mut self) -> Result<Option<i64>, ParseError> {
        let negative = self.peek() == Some('-');
        if !negative && !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Ok(None);
        }
        if negative {
            self.bump();
        }
        let mut value: i64 = 0;
        let mut digits = 0;
        while let Some(digit) = self.peek().and_then(|c| c.to_digit(10)) {
            self.bump();
            digits += 1;
            let digit = i64::from(digit);
            value = value.saturating_mul(10);
            value = if negative {
                value.saturating_sub(digit)
            } else {
                value.saturating_add(digit)
            };
        }
        if digits == 0 {
            return Err(self.error("expected digits after '-'"));
        }
        Ok(Some(value))
    }

    /// A string in single or double quotes, with JSON-style escapes.
    fn quoted(&mut self) -> Result<String, ParseError> {
        let Some(quote) = self.bump() else {
            return Err(self.error("expected a quoted string"));
        };
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error("unterminated string")),
                Some(c) if c == quote => return Ok(text),
                Some('\\') => match self.bump() {
                    None => return Err(self.error("unterminated string")),
                    Some('b') => text.push('\u{8}'),
                    Some('f') => text.push('\u{c}'),
                    Some('n') => text.push('\n'),
                    Some('r') => text.push('\r'),
                    Some('t') => text.push('\t'),
                    Some('u') => {
                        let c = self.unicode_escape()?;
                        text.push(c);
                    }
                    // `\\`, `\'`, `\"`, `\/` and any other escaped character stand for themselves.
                    Some(other) => text.push(other),
                },
                Some(c) => text.push(c),
            }
        }
    }

    /// The `XXXX` of `\uXXXX`, joining a surrogate pair written as two escapes.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let high = self.hex4()?;
        if (0xD800..0xDC00).contains(&high) {
            if self.eat_str("\\u") {
                let low = self.hex4()?;
                if (0xDC00..0xE000).contains(&low) {
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    return char::from_u32(code).ok_or_else(|| self.error("invalid '\\u' escape"));
                }
            }
            return Err(self.error("unpaired surrogate in '\\u' escape"));
        }
        char::from_u32(high).ok_or_else(|| self.error("invalid '\\u' escape"))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(digit) => {
                    self.bump();
                    code = code * 16 + digit;
                }
                None => return Err(self.error("expected four hex digits after '\\u'")),
            }
        }
        Ok(code)
    }

    fn or_expression(&mut self) -> Result<Filter, ParseError> {
        self.enter()?;
        let mut left = self.and_expression()?;
        loop {
            self.skip_whitespace();
            if !self.eat_str("||") {
                break;
            }
            let right = self.and_expression()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        self.leave();
        Ok(left)
    }

    fn and_expression(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.unary()?;
        loop {
            self.skip_whitespace();
            if !self.eat_str("&&") {
                break;
            }
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ParseError> {
        self.skip_whitespace();
        if self.peek() == Some('!') && self.peek_second() != Some('=') {
            self.bump();
            self.enter()?;
            let inner = self.unary()?;
            self.leave();
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.eat('(') {
            let inner = self.or_expression()?;
            self.skip_whitespace();
            self.expect(')')?;
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Filter, ParseError> {
        let left = self.operand()?;
        self.skip_whitespace();
        let Some(op) = self.compare_op()? else {
            return match left {
                Operand::Literal(_) => Err(self.error("a literal alone is not a filter")),
                path => Ok(Filter::Exists(path)),
            };
        };
        self.skip_whitespace();
        let right = self.operand()?;
        Ok(Filter::Compare(left, op, right))
    }

    fn compare_op(&mut self) -> Result<Option<CompareOp>, ParseError> {
        let op = if self.eat_str("==") {
            if self.peek() == Some('=') {
                return Err(self.error("'===' is not supported, use '=='"));
            }
            CompareOp::Eq
        } else if self.eat_str("!=") {
            CompareOp::Ne
        } else if self.eat_str("<=") {
            CompareOp::Le
        } else if self.eat_str(">=") {
            CompareOp::Ge
        } else if self.eat('<') {
            CompareOp::Lt
        } else if self.eat('>') {
            CompareOp::Gt
        } else if self.eat_str("=~") {
            return Err(self.error("regular expressions are not supported"));
        } else if self.peek() == Some('=') {
            return Err(self.error("'=' is not a comparison, use '=='"));
        } else {
            return Ok(None);
        };
        Ok(Some(op))
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some('@') => {
                self.bump();
                Ok(Operand::Current(self.segments(true)?))
            }
            Some('$') => {
                self.bump();
                Ok(Operand::Root(self.segments(true)?))
            }
            _ => Ok(Operand::Literal(self.literal()?)),
        }
    }

    /// A JSON-like literal: strings may use single quotes.
    fn literal(&mut self) -> Result<Value, ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some('\'' | '"') => Ok(Value::String(self.quoted()?)),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some('[') => {
                self.bump();
                self.enter()?;
                let mut items = Vec::new();
                self.skip_whitespace();
                if !self.eat(']') {
                    loop {
                        items.push(self.literal()?);
                        self.skip_whitespace();
                        if self.eat(']') {
                            break;
                        }
                        self.expect(',')?;
                    }
                }
                self.leave();
                Ok(Value::Array(items))
            }
            Some('{') => {
                self.bump();
                self.enter()?;
                let mut members = Map::new();
                self.skip_whitespace();
                if !self.eat('}') {
                    loop {
                        self.skip_whitespace();
                        if !matches!(self.peek(), Some('\'' | '"')) {
                            return Err(self.error("expected a quoted key"));
                        }
                        let key = self.quoted()?;
                        self.skip_whitespace();
                        self.expect(':')?;
                        let value = self.literal()?;
                        members.insert(key, value);
                        self.skip_whitespace();
                        if self.eat('}') {
                            break;
                        }
                        self.expect(',')?;
                    }
                }
                self.leave();
                Ok(Value::Object(members))
            }
            _ => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    let rest = &self.source[self.pos..];
                    if rest.starts_with(word)
                        && !rest[word.len()..]
                            .chars()
                            .next()
                            .is_some_and(is_variable_char)
                    {
                        self.pos += word.len();
                        return Ok(value);
                    }
                }
                Err(self.error("expected '@', '$' or a literal"))
            }
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        self.eat('-');
        let digits_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if self.pos == digits_start {
            return Err(self.error("expected digits"));
        }
        let mut integral = true;
        if self.peek() == Some('.') && self.peek_second().is_some_and(|c| c.is_ascii_digit()) {
            integral = false;
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            integral = false;
            self.bump();
            if !self.eat('+') {
                self.eat('-');
            }
            let exponent_start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
            if self.pos == exponent_start {
                return Err(self.error("expected digits in the exponent"));
            }
        }
        let text = &self.source[start..self.pos];
        if integral && let Ok(integer) = text.parse::<i64>() {
            return Ok(Value::Number(integer.into()));
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| self.error("number out of range"))
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

/// Walks a definite path without allocating.
fn select_definite<'a>(segments: &[Segment], document: &'a Value) -> Option<&'a Value> {
    let mut current = document;
    for segment in segments {
        current = match segment {
            Segment::Child(Selector::Name(name)) => current.as_object()?.get(name)?,
            Segment::Child(Selector::Index(index)) => element(current.as_array()?, *index)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The element at `index`, negative indexes counting from the end.
fn element(items: &[Value], index: i64) -> Option<&Value> {
    let position = if index < 0 {
        i64::try_from(items.len()).ok()?.checked_add(index)?
    } else {
        index
    };
    items.get(usize::try_from(position).ok()?)
}

/// The positions a slice selects in an array of `len` elements, in order.
fn slice_positions(slice: Slice, len: usize) -> impl Iterator<Item = usize> {
    let len = i128::try_from(len).unwrap_or(i128::MAX);
    let step = i128::from(slice.step.unwrap_or(1));
    let normalize = |bound: i64| {
        let bound = i128::from(bound);
        if bound < 0 { bound + len } else { bound }
    };
    let (mut position, end) = if step > 0 {
        let start = slice.start.map_or(0, normalize).clamp(0, len);
        let end = slice.end.map_or(len, normalize).clamp(0, len);
        (start, end)
    } else {
        let start = slice.start.map_or(len - 1, normalize).clamp(-1, len - 1);
        let end = slice.end.map_or(-1, normalize).clamp(-1, len - 1);
        (start, end)
    };
    std::iter::from_fn(move || {
        let inside = (step > 0 && position < end) || (step < 0 && position > end);
        if !inside {
            return None;
        }
        let current = usize::try_from(position).ok()?;
        position += step;
        Some(current)
    })
}

/// The evaluation ran out of its step budget.
struct Exhausted;

/// Evaluates indefinite paths and filters over one document.
struct Evaluator<'a> {
    root: &'a Value,
    steps_left: usize,
}

impl<'a> Evaluator<'a> {
    fn tick(&mut self) -> Result<(), Exhausted> {
        self.steps_left = self.steps_left.checked_sub(1).ok_or(Exhausted)?;
        Ok(())
    }

    fn select_all(
        &mut self,
        segments: &[Segment],
        start: &'a Value,
    ) -> Result<Vec<&'a Value>, Exhausted> {
        let mut current = vec![start];
        let mut next = Vec::new();
        for segment in segments {
            for &node in &current {
                match segment {
                    Segment::Child(selector) => self.apply(selector, node, &mut next)?,
                    Segment::Descendant(selector) => self.descend(selector, node, &mut next)?,
                }
            }
            std::mem::swap(&mut current, &mut next);
            next.clear();
            if current.is_empty() {
                break;
            }
        }
        Ok(current)
    }

    /// Applies a selector to `node` and every node below it, in document order (pre-order).
    fn descend(
        &mut self,
        selector: &Selector,
        node: &'a Value,
        out: &mut Vec<&'a Value>,
    ) -> Result<(), Exhausted> {
        let mut stack = vec![node];
        while let Some(visited) = stack.pop() {
            self.tick()?;
            match selector {
                // Jayway tests each object once rather than each object and each array's elements.
                Selector::Filter(filter) => {
                    if visited.is_object() && self.test(filter, visited)? {
                        out.push(visited);
                    }
                }
                _ => self.apply(selector, visited, out)?,
            }
            match visited {
                Value::Array(items) => stack.extend(items.iter().rev()),
                Value::Object(members) => stack.extend(members.values().rev()),
                _ => {}
            }
        }
        Ok(())
    }

    fn apply(
        &mut self,
        selector: &Selector,
        node: &'a Value,
        out: &mut Vec<&'a Value>,
    ) -> Result<(), Exhausted> {
        self.tick()?;
        let before = out.len();
        match (selector, node) {
            (Selector::Name(name), Value::Object(members)) => out.extend(members.get(name)),
            (Selector::Names(names), Value::Object(members)) => {
                out.extend(names.iter().filter_map(|name| members.get(name)));
            }
            (Selector::Index(index), Value::Array(items)) => out.extend(element(items, *index)),
            (Selector::Indexes(indexes), Value::Array(items)) => {
                out.extend(indexes.iter().filter_map(|index| element(items, *index)));
            }
            (Selector::Wildcard, Value::Array(items)) => out.extend(items),
            (Selector::Wildcard, Value::Object(members)) => out.extend(members.values()),
            (Selector::Slice(slice), Value::Array(items)) => {
                out.extend(slice_positions(*slice, items.len()).filter_map(|i| items.get(i)));
            }
            (Selector::Filter(filter), Value::Array(items)) => {
                for item in items {
                    // AWS: `@` matches objects (and arrays), never scalars.
                    if (item.is_object() || item.is_array()) && self.test(filter, item)? {
                        out.push(item);
                    }
                }
            }
            (Selector::Filter(filter), Value::Object(_)) if self.test(filter, node)? => {
                out.push(node);
            }
            _ => {}
        }
        // Every match costs a step, which also bounds the memory the matches take.
        self.steps_left = self
            .steps_left
            .checked_sub(out.len() - before)
            .ok_or(Exhausted)?;
        Ok(())
    }

    fn test(&mut self, filter: &Filter, current: &'a Value) -> Result<bool, Exhausted> {
        self.tick()?;
        Ok(match filter {
            Filter::Or(left, right) => self.test(left, current)? || self.test(right, current)?,
            Filter::And(left, right) => self.test(left, current)? && self.test(right, current)?,
            Filter::Not(inner) => !self.test(inner, current)?,
            Filter::Exists(operand) => self.resolve(operand, current)?.is_some(),
            Filter::Compare(left, op, right) => {
                let left = self.resolve(left, current)?;
                let right = self.resolve(right, current)?;
                match (left, right) {
                    (Some(left), Some(right)) => compare(&left, *op, &right),
                    // A missing side is never equal, so it is always "not equal".
                    _ => *op == CompareOp::Ne,
                }
            }
        })
    }

    /// The value of an operand: `None` when a definite sub-path is missing; an indefinite
    /// sub-path gives the array of its matches.
    fn resolve<'x>(
        &mut self,
        operand: &'x Operand,
        current: &'a Value,
    ) -> Result<Option<Cow<'x, Value>>, Exhausted>
    where
        'a: 'x,
    {
        let (segments, start) = match operand {
            Operand::Literal(value) => return Ok(Some(Cow::Borrowed(value))),
            Operand::Current(segments) => (segments, current),
            Operand::Root(segments) => (segments, self.root),
        };
        if is_definite(segments) {
            return Ok(select_definite(segments, start).map(Cow::Borrowed));
        }
        let matches = self.select_all(segments, start)?;
        Ok(Some(Cow::Owned(Value::Array(
            matches.into_iter().cloned().collect(),
        ))))
    }
}

/// Jayway's comparison of two filter values.
fn compare(left: &Value, op: CompareOp, right: &Value) -> bool {
    match op {
        CompareOp::Eq => values_equal(left, right),
        CompareOp::Ne => !values_equal(left, right),
        CompareOp::Lt => order(left, right) == Some(Ordering::Less),
        CompareOp::Le => matches!(order(left, right), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => order(left, right) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(
            order(left, right),
            Some(Ordering::Greater | Ordering::Equal)
        ),
    }
}

/// Jayway's equality: numbers by value, a string against a number by text (string on the left)
/// or by parsed value (number on the left), everything else structurally.
fn values_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => {
            compare_numbers(left, right) == Some(Ordering::Equal)
        }
        (Value::String(text), Value::Number(number)) => *text == number.to_string(),
        (Value::Number(number), Value::String(text)) => parse_decimal(text)
            .zip(number.as_f64())
            .is_some_and(|(parsed, number)| parsed == number),
        _ => left == right,
    }
}

/// Ordering for `<`, `<=`, `>`, `>=`: numbers with numbers, strings with strings.
fn order(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => compare_numbers(left, right),
        (Value::String(left), Value::String(right)) => Some(left.cmp(right)),
        _ => None,
    }
}

fn compare_numbers(left: &Number, right: &Number) -> Option<Ordering> {
    if let (Some(left), Some(right)) = (left.as_i64(), right.as_i64()) {
        return Some(left.cmp(&right));
    }
    if let (Some(left), Some(right)) = (left.as_u64(), right.as_u64()) {
        return Some(left.cmp(&right));
    }
    left.as_f64()?.partial_cmp(&right.as_f64()?)
}

/// A decimal number written as text, as Java's `BigDecimal` reads it.
fn parse_decimal(text: &str) -> Option<f64> {
    let plausible = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'));
    if !plausible {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Selects `path` in `document` and compares with `expected`: JSON text, `NOT_FOUND` for
    /// `None`, or `ERROR` for a parse error.
    #[track_caller]
    fn check(path: &str, document: &str, expected: &str) {
        let document: Value = serde_json::from_str(document).expect("test document is JSON");
        let actual = match Path::parse(path) {
            Err(_) => "ERROR".to_owned(),
            Ok(parsed) => match parsed.select(&document) {
                None => "NOT_FOUND".to_owned(),
                Some(value) => value.to_string(),
            },
        };
        let expected = match expected {
            "ERROR" | "NOT_FOUND" => expected.to_owned(),
            json => serde_json::from_str::<Value>(json)
                .expect("expected value is JSON")
                .to_string(),
        };
        assert_eq!(actual, expected, "path {path}");
    }

    /// Assigns `value` at `path` in `document` and compares with `expected` (or `ERROR`).
    #[track_caller]
    fn check_assign(path: &str, document: &str, value: &str, expected: &str) {
        let mut document: Value = serde_json::from_str(document).expect("test document is JSON");
        let value: Value = serde_json::from_str(value).expect("value is JSON");
        let parsed = Path::parse(path).expect("path parses");
        let actual = match parsed.assign(&mut document, value) {
            Err(_) => "ERROR".to_owned(),
            Ok(()) => document.to_string(),
        };
        let expected = match expected {
            "ERROR" => expected.to_owned(),
            json => serde_json::from_str::<Value>(json)
                .expect("expected value is JSON")
                .to_string(),
        };
        assert_eq!(actual, expected, "path {path}");
    }

    const DOCS: &str = r#"{"foo": 123, "bar": ["a", "b", "c"], "car": 456,
        "jar": [{"a": 1}, {"a": 5}, {"a": 2}, {"a": 7}], "abc": {"def ghi": 9}}"#;

    #[test]
    fn roots() {
        let root = |path: &str| Path::parse(path).map(|path| path.root().clone());
        assert_eq!(root("$"), Ok(Root::Input));
        assert_eq!(root("$.x"), Ok(Root::Input));
        assert_eq!(root("$['x']"), Ok(Root::Input));
        assert_eq!(root("$[0]"), Ok(Root::Input));
        assert_eq!(root("$$"), Ok(Root::Context));
        assert_eq!(root("$$.Execution.Id"), Ok(Root::Context));
        assert_eq!(root("$myVar.field"), Ok(Root::Variable("myVar".to_owned())));
        assert_eq!(root("$my_var2"), Ok(Root::Variable("my_var2".to_owned())));
        assert_eq!(root("$x[0]"), Ok(Root::Variable("x".to_owned())));
        assert!(root("").is_err());
        assert!(root("x").is_err());
        assert!(root("@.a").is_err());
        assert!(root("$$x").is_err());
        assert!(root("$-x").is_err());
    }

    #[test]
    fn names_and_indexes() {
        check("$", DOCS, DOCS);
        check("$.foo", DOCS, "123");
        check("$.nope", DOCS, "NOT_FOUND");
        check("$.bar[0]", DOCS, r#""a""#);
        check("$.bar[-1]", DOCS, r#""c""#);
        check("$.bar[3]", DOCS, "NOT_FOUND");
        check("$.bar[-4]", DOCS, "NOT_FOUND");
        check("$['foo']", DOCS, "123");
        check(r#"$["foo"]"#, DOCS, "123");
        check("$.abc.['def ghi']", DOCS, "9");
        check("$.abc['def ghi']", DOCS, "9");
        check("$.foo.bar", DOCS, "NOT_FOUND");
        check("$.bar.length", DOCS, "NOT_FOUND");
        check("$.屬性", r#"{"屬性": 1}"#, "1");
        check("$['a\\'b']", r#"{"a'b": 1}"#, "1");
        check("$['\\u00e9']", r#"{"é": 1}"#, "1");
        check("$['a']['b']", r#"{"a": {"b": null}}"#, "null");
        check("$.$", r#"{"$": 1}"#, "1");
        check("$.2", r#"{"2": 1}"#, "1");
        check("$[ 'a' ]", r#"{"a": 1}"#, "1");
    }

    #[test]
    fn context_and_variables_select_from_the_given_document() {
        check("$$.Execution.Id", r#"{"Execution": {"Id": "x"}}"#, r#""x""#);
        check("$myVar.field", r#"{"field": [1]}"#, "[1]");
        check("$myVar", "7", "7");
    }

    #[test]
    fn indefinite() {
        check("$.bar[*]", DOCS, r#"["a","b","c"]"#);
        check("$.bar.*", DOCS, r#"["a","b","c"]"#);
        check("$.*", r#"{"a": 1, "b": [2]}"#, "[1,[2]]");
        check("$.foo.*", DOCS, "[]");
        check("$.bar[0,2]", DOCS, r#"["a","c"]"#);
        check("$.bar[2,0,9]", DOCS, r#"["c","a"]"#);
        check("$['foo','car']", DOCS, "[123,456]");
        check("$['foo','nope']", DOCS, "[123]");
        check("$.bar[1:3]", DOCS, r#"["b","c"]"#);
        check("$.bar[-2:]", DOCS, r#"["b","c"]"#);
        check("$.bar[:2]", DOCS, r#"["a","b"]"#);
        check("$.bar[:]", DOCS, r#"["a","b","c"]"#);
        check("$.bar[::2]", DOCS, r#"["a","c"]"#);
        check("$.bar[::-1]", DOCS, r#"["c","b","a"]"#);
        check("$.bar[0:3:0]", DOCS, "[]");
        check("$.bar[5:9]", DOCS, "[]");
        check("$.foo[0:1]", DOCS, "[]");
        check("$..a", DOCS, "[1,5,2,7]");
        check("$..[0]", DOCS, r#"["a",{"a":1}]"#);
        check(
            "$..*",
            r#"{"a": [1, {"b": 2}]}"#,
            r#"[[1,{"b":2}],1,{"b":2},2]"#,
        );
        check("$..nope", DOCS, "[]");
        check("$.jar[*].a", DOCS, "[1,5,2,7]");
    }

    #[test]
    fn filters() {
        check("$.jar[?(@.a >= 5)]", DOCS, r#"[{"a":5},{"a":7}]"#);
        check("$.jar[?(@.a > 1 && @.a < 7)].a", DOCS, "[5,2]");
        check("$.jar[?(@.a == 1 || @.a == 7)].a", DOCS, "[1,7]");
        check("$.jar[?(!(@.a == 1))].a", DOCS, "[5,2,7]");
        check("$.jar[?(@.a != 5)].a", DOCS, "[1,2,7]");
        check("$.jar[?(@.a <= 2)].a", DOCS, "[1,2]");
        check("$.jar[?(@.a)].a", DOCS, "[1,5,2,7]");
        check("$.jar[?(@.b)]", DOCS, "[]");
        check("$.jar[?(!@.b)].a", DOCS, "[1,5,2,7]");
        check("$.jar[?((@.a == 1))].a", DOCS, "[1]");
        check("$.jar[?(@.a == $.foo)]", DOCS, "[]");
        check("$.jar[?(@.a < $.foo)].a", DOCS, "[1,5,2,7]");
        check(
            "$[?(@.s == 'x' || @.s == \"y\")].n",
            r#"[{"s":"x","n":1},{"s":"y","n":2},{"s":"z","n":3}]"#,
            "[1,2]",
        );
        check(
            "$[?(@.v == null)].n",
            r#"[{"v":null,"n":1},{"n":2},{"v":0,"n":3}]"#,
            "[1]",
        );
        check(
            "$[?(@.v == true)].n",
            r#"[{"v":true,"n":1},{"v":false,"n":2}]"#,
            "[1]",
        );
        check(
            "$[?(@.v == [1, 'a'])].n",
            r#"[{"v":[1,"a"],"n":1},{"v":[1],"n":2}]"#,
            "[1]",
        );
        check(
            "$[?(@.v == {'k': 1})].n",
            r#"[{"v":{"k":1},"n":1},{"v":{},"n":2}]"#,
            "[1]",
        );
        check("$[?(@.v == -1.5e0)].n", r#"[{"v":-1.5,"n":1}]"#, "[1]");
        check(
            "$[?(@.v > 'b')].v",
            r#"[{"v":"a"},{"v":"c"},{"v":5}]"#,
            r#"["c"]"#,
        );
    }

    #[test]
    fn filter_on_an_object_tests_the_object_itself() {
        check("$.n[?(@.x == 1)]", r#"{"n": {"x": 1}}"#, r#"[{"x":1}]"#);
        check("$.n[?(@.x == 2)]", r#"{"n": {"x": 1}}"#, "[]");
    }

    #[test]
    fn filters_never_match_scalars() {
        check("$.bar[?(@ == 'a')]", DOCS, "[]");
        check("$[?(@)]", r#"[1, "a", null, {}, []]"#, "[{},[]]");
        check("$[?(@[0] == 1)]", "[[1], [2], 1]", "[[1]]");
    }

    #[test]
    fn jayway_equality_coerces_strings_and_numbers() {
        check(
            "$[?(@.k == 42)].k",
            r#"[{"k":42},{"k":"42"},{"k":"042"}]"#,
            r#"[42,"42"]"#,
        );
        check("$[?(@.k < 43)].k", r#"[{"k":42},{"k":"42"}]"#, "[42]");
    }

    #[test]
    fn deep_scan_with_filter_tests_each_object_once() {
        check(
            "$..[?(@.id == 2)]",
            r#"{"id": 2, "more": [{"id": 2}, [{"id": 2}]]}"#,
            r#"[{"id": 2, "more": [{"id": 2}, [{"id": 2}]]}, {"id": 2}, {"id": 2}]"#,
        );
    }

    #[test]
    fn unsupported_syntax_is_a_parse_error() {
        for path in [
            "$.",
            "$..",
            "$...a",
            "$.a.",
            "$[",
            "$[]",
            "$[a]",
            "$.[a]",
            "$['a'",
            "$['a'.'b']",
            "$.bar.length()",
            "$.a.sum()",
            "$[(@.length-1)]",
            "$[?()]",
            "$[?(@.a = 1)]",
            "$[?(@.a === 1)]",
            "$[?(@.a =~ /x/)]",
            "$[?(true)]",
            "$[?(1)]",
            "$[?@.a]",
            "$[?(@.a in [1])]",
            "$[*,1]",
            "$[1:2,3]",
            "$['a',1]",
            "$[1,'a']",
            "$(a)",
            "$.a b",
            "$[0]]",
            "$[-]",
            "$[1.5]",
            "$[?(@.a == 'x)]",
            "$['\\u12']",
            "$['\\ud800']",
        ] {
            assert!(Path::parse(path).is_err(), "{path} should not parse");
        }
    }

    #[test]
    fn definite_and_reference_paths() {
        let shape = |path: &str| {
            let path = Path::parse(path).expect("path parses");
            (path.is_definite(), path.is_reference_path())
        };
        assert_eq!(shape("$"), (true, true));
        assert_eq!(shape("$.a[0]['b c']"), (true, true));
        assert_eq!(shape("$.a[-1]"), (true, false));
        assert_eq!(shape("$.a[*]"), (false, false));
        assert_eq!(shape("$..a"), (false, false));
        assert_eq!(shape("$.a[0,1]"), (false, false));
        assert_eq!(shape("$['a','b']"), (false, false));
        assert_eq!(shape("$.a[0:1]"), (false, false));
        assert_eq!(shape("$.a[?(@.b)]"), (false, false));
    }

    #[test]
    fn assign() {
        check_assign("$", r#"{"a": 1}"#, "[2]", "[2]");
        check_assign("$.b", r#"{"a": 1}"#, "2", r#"{"a": 1, "b": 2}"#);
        check_assign("$.a", r#"{"a": 1}"#, "2", r#"{"a": 2}"#);
        check_assign("$.x.y.z", "{}", "1", r#"{"x": {"y": {"z": 1}}}"#);
        check_assign(
            "$.a.b",
            r#"{"a": {"c": 1}}"#,
            "2",
            r#"{"a": {"c": 1, "b": 2}}"#,
        );
        check_assign("$.a[1]", r#"{"a": [0, 0]}"#, "5", r#"{"a": [0, 5]}"#);
        check_assign(
            "$.a[1].b",
            r#"{"a": [0, {}]}"#,
            "5",
            r#"{"a": [0, {"b": 5}]}"#,
        );
        check_assign("$['x y']", "{}", "1", r#"{"x y": 1}"#);
        check_assign("$.a.b", r#"{"a": "s"}"#, "1", "ERROR");
        check_assign("$.a.b", r#"{"a": 3}"#, "1", "ERROR");
        check_assign("$.a.b", r#"{"a": null}"#, "1", "ERROR");
        check_assign("$.a", "[1]", "1", "ERROR");
        check_assign("$.a", r#""s""#, "1", "ERROR");
        check_assign("$.a[2]", r#"{"a": [0, 0]}"#, "5", "ERROR");
        check_assign("$.a[0]", r#"{"a": {}}"#, "5", "ERROR");
        check_assign("$.a[0].b", r#"{}"#, "5", "ERROR");
        check_assign("$.a[*]", r#"{"a": [1]}"#, "5", "ERROR");
        check_assign("$.a[-1]", r#"{"a": [1]}"#, "5", "ERROR");
    }

    #[test]
    fn assign_error_names_the_failing_prefix() {
        let path = Path::parse("$.a.b").expect("path parses");
        let error = path
            .assign(&mut json!({"a": "s"}), json!(1))
            .expect_err("a is a string");
        assert_eq!(
            error.message,
            "unable to apply the path '$.a.b': the value at '$['a']' is not an object"
        );
    }

    #[test]
    fn hostile_inputs_are_bounded() {
        let brackets = format!("${}", "[".repeat(100_000));
        assert!(Path::parse(&brackets).is_err());
        let filters = format!("${}", "[?(@".repeat(100_000));
        assert!(Path::parse(&filters).is_err());
        let parens = format!("$[?({}@.a)]", "(".repeat(100_000));
        assert!(Path::parse(&parens).is_err());
        let nots = format!("$[?({}@.a)]", "!".repeat(100_000));
        assert!(Path::parse(&nots).is_err());
        let literals = format!("$[?(@.a == {})]", "[".repeat(100_000));
        assert!(Path::parse(&literals).is_err());
        let long = format!("${}", ".a".repeat(100_000));
        assert!(Path::parse(&long).is_ok());

        // A deep scan walks the document without recursion.
        let mut deep = json!(1);
        for _ in 0..1_000 {
            deep = json!([deep]);
        }
        let path = Path::parse("$..*").expect("path parses");
        let selected = path.select(&deep).expect("within budget");
        assert_eq!(selected.as_array().map(Vec::len), Some(1_000));

        // Repeated deep scans over a deep document give up instead of running away.
        let mut deep = json!(1);
        for _ in 0..100 {
            deep = json!([deep]);
        }
        let path = Path::parse(&format!("${}", "..*".repeat(8))).expect("path parses");
        assert_eq!(path.select(&deep), None);
    }
}
