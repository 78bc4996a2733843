//! The grammar of intrinsic function calls: `States.Name(arg, ...)`.
//!
//! The parser is a hand-written recursive descent over the call text. It checks what can be
//! checked before any input exists (names, arity, literal syntax, nesting depth) and leaves every
//! check that depends on argument values to evaluation.

use serde_json::Number;

/// How deep calls may nest, counting the outermost call (AWS: "up to 10 intrinsic functions").
pub(crate) const MAX_DEPTH: usize = 10;

/// One intrinsic function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Function {
    /// Every function, for lookups by name.
    const ALL: [Function; 18] = [
        Function::Format,
        Function::StringToJson,
        Function::JsonToString,
        Function::Array,
        Function::ArrayPartition,
        Function::ArrayContains,
        Function::ArrayRange,
        Function::ArrayGetItem,
        Function::ArrayLength,
        Function::ArrayUnique,
        Function::Base64Encode,
        Function::Base64Decode,
        Function::Hash,
        Function::JsonMerge,
        Function::MathRandom,
        Function::MathAdd,
        Function::StringSplit,
        Function::Uuid,
    ];

    /// The full name, as written in a definition.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Function::Format => "States.Format",
            Function::StringToJson => "States.StringToJson",
            Function::JsonToString => "States.JsonToString",
            Function::Array => "States.Array",
            Function::ArrayPartition => "States.ArrayPartition",
            Function::ArrayContains => "States.ArrayContains",
            Function::ArrayRange => "States.ArrayRange",
            Function::ArrayGetItem => "States.ArrayGetItem",
            Function::ArrayLength => "States.ArrayLength",
            Function::ArrayUnique => "States.ArrayUnique",
            Function::Base64Encode => "States.Base64Encode",
            Function::Base64Decode => "States.Base64Decode",
            Function::Hash => "States.Hash",
            Function::JsonMerge => "States.JsonMerge",
            Function::MathRandom => "States.MathRandom",
            Function::MathAdd => "States.MathAdd",
            Function::StringSplit => "States.StringSplit",
            Function::Uuid => "States.UUID",
        }
    }

    /// The smallest and largest number of arguments (`None`: no upper bound).
    fn arity(self) -> (usize, Option<usize>) {
        match self {
            Function::Format => (1, None),
            Function::Array => (0, None),
            Function::Uuid => (0, Some(0)),
            Function::StringToJson
            | Function::JsonToString
            | Function::ArrayLength
            | Function::ArrayUnique
            | Function::Base64Encode
            | Function::Base64Decode => (1, Some(1)),
            Function::ArrayPartition
            | Function::ArrayContains
            | Function::ArrayGetItem
            | Function::Hash
            | Function::MathAdd
            | Function::StringSplit => (2, Some(2)),
            Function::ArrayRange | Function::JsonMerge => (3, Some(3)),
            Function::MathRandom => (2, Some(3)),
        }
    }

    fn from_name(name: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|function| function.name() == name)
    }
}

/// A parsed call: the function and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) function: Function,
    pub(crate) args: Vec<Arg>,
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// A string literal: `raw` is the text between the quotes with its escapes intact (Format
    /// needs to tell `\{` from `{`), `value` the string it denotes.
    Text { raw: String, value: String },
    /// A JSON number literal, kept exact (integers stay integers).
    Number(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A path, as written.
    Path(String),
    /// A nested call.
    Call(Node),
}

impl Node {
    pub(crate) fn collect_paths<'a>(&'a self, paths: &mut Vec<&'a str>) {
        for arg in &self.args {
            match arg {
                Arg::Path(path) => paths.push(path),
                Arg::Call(node) => node.collect_paths(paths),
                Arg::Text { .. } | Arg::Number(_) | Arg::Bool(_) | Arg::Null => {}
            }
        }
    }
}

/// Parses a whole call; the error is a message for [`super::ParseError`].
pub(crate) fn parse(source: &str) -> Result<Node, String> {
    let mut parser = Parser {
        text: source.trim(),
        pos: 0,
    };
    let node = parser.call(1)?;
    if parser.pos < parser.text.len() {
        return Err(format!(
            "unexpected text after the call at offset {}: '{}'",
            parser.pos,
            &parser.text[parser.pos..]
        ));
    }
    Ok(node)
}

struct Parser<'a> {
    text: &'a str,
    /// Byte offset into `text`, always on a character boundary.
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let next = self.peek()?;
        self.pos += next.len_utf8();
        Some(next)
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        &self.text[start..self.pos]
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            Some(next) => format!("'{next}' at offset {}", self.pos),
            None => "the end of the call".to_owned(),
        }
    }

    /// `States.Name(args)`, at nesting level `depth` (the outermost call is level 1).
    fn call(&mut self, depth: usize) -> Result<Node, String> {
        if !self.rest().starts_with("States.") {
            return Err(format!(
                "expected an intrinsic function call at offset {}",
                self.pos
            ));
        }
        self.pos += "States.".len();
        let short_name = self.take_while(|next| next.is_ascii_alphanumeric());
        let name = format!("States.{short_name}");
        let function = Function::from_name(&name)
            .ok_or_else(|| format!("unknown intrinsic function '{name}'"))?;
        self.skip_whitespace();
        if self.peek() != Some('(') {
            return Err(format!(
                "expected '(' after '{name}', found {}",
                self.describe_next()
            ));
        }
        self.bump();
        let mut args = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(')') {
            self.bump();
        } else {
            loop {
                self.skip_whitespace();
                args.push(self.arg(depth)?);
                self.skip_whitespace();
                match self.bump() {
                    Some(',') => {}
                    Some(')') => break,
                    Some(other) => {
                        return Err(format!(
                            "expected ',' or ')' in the arguments of '{name}', found '{other}' at offset {}",
                            self.pos - other.len_utf8()
                        ));
                    }
                    None => return Err(format!("missing ')' at the end of '{name}'")),
                }
            }
        }
        check_arity(function, &args)?;
        Ok(Node { function, args })
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, String> {
        match self.peek() {
            Some('\'') => self.string_literal(),
            Some('$') => Ok(Arg::Path(self.path())),
            Some('-' | '0'..='9') => self.number(),
            Some(_) if self.rest().starts_with("States.") => {
                if depth >= MAX_DEPTH {
                    return Err(format!(
                        "intrinsic functions nest more than {MAX_DEPTH} deep"
                    ));
                }
                Ok(Arg::Call(self.call(depth + 1)?))
            }
            Some(next) if next.is_ascii_alphabetic() => {
                let start = self.pos;
                match self.take_while(|next| next.is_ascii_alphanumeric()) {
                    "true" => Ok(Arg::Bool(true)),
                    "false" => Ok(Arg::Bool(false)),
                    "null" => Ok(Arg::Null),
                    word => Err(format!("unexpected argument '{word}' at offset {start}")),
                }
            }
            _ => Err(format!(
                "expected an argument, found {}",
                self.describe_next()
            )),
        }
    }

    /// `'...'`, with the escapes `\'`, `\{`, `\}` and `\\`; any other backslash is an error (AWS
    /// rejects such definitions).
    fn string_literal(&mut self) -> Result<Arg, String> {
        let start = self.pos;
        self.bump();
        let mut raw = String::new();
        let mut value = String::new();
        loop {
            match self.bump() {
                None => return Err(format!("unterminated string literal at offset {start}")),
                Some('\'') => return Ok(Arg::Text { raw, value }),
                Some('\\') => match self.bump() {
                    Some(escaped @ ('\'' | '{' | '}' | '\\')) => {
                        raw.push('\\');
                        raw.push(escaped);
                        value.push(escaped);
                    }
                    Some(other) => {
                        return Err(format!(
                            "invalid escape sequence '\\{other}' in the string literal at offset {start}"
                        ));
                    }
                    None => return Err(format!("unterminated string literal at offset {start}")),
                },
                Some(other) => {
                    raw.push(other);
                    value.push(other);
                }
            }
        }
    }

    /// A path runs to the next `,` or `)` outside brackets, parentheses and quotes (filters such
    /// as `$.a[?(@.b == 'x,y')]` contain all three).
    fn path(&mut self) -> String {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(next) = self.peek() {
            if let Some(open) = quote {
                self.bump();
                if next == '\\' {
                    self.bump();
                } else if next == open {
                    quote = None;
                }
                continue;
            }
            match next {
                '\'' | '"' if depth > 0 => quote = Some(next),
                '[' | '(' => depth += 1,
                ']' | ')' if depth > 0 => depth -= 1,
                ',' | ')' => break,
                _ => {}
            }
            self.bump();
        }
        self.text[start..self.pos].trim_end().to_owned()
    }

    fn number(&mut self) -> Result<Arg, String> {
        let start = self.pos;
        let text = self.take_while(|next| {
            next.is_ascii_digit() || matches!(next, '-' | '+' | '.' | 'e' | 'E')
        });
        serde_json::from_str::<Number>(text)
            .map(Arg::Number)
            .map_err(|_| format!("invalid number '{text}' at offset {start}"))
    }
}

fn check_arity(function: Function, args: &[Arg]) -> Result<(), String> {
    let (min, max) = function.arity();
    let count = args.len();
    let expected = match max {
        Some(max) if max == min => format!("{min}"),
        Some(max) => format!("{min} to {max}"),
        None => format!("at least {min}"),
    };
    if count < min || max.is_some_and(|max| count > max) {
        let plural = if expected == "1" { "" } else { "s" };
        return Err(format!(
            "'{}' takes {expected} argument{plural}, got {count}",
            function.name()
        ));
    }
    if function == Function::JsonMerge {
        // Only shallow merges exist; AWS rejects anything but a literal `false` or a path here.
        match &args[2] {
            Arg::Bool(false) | Arg::Path(_) | Arg::Call(_) => {}
            _ => {
                return Err(
                    "the third argument of 'States.JsonMerge' must be false (deep merge is not supported)"
                        .to_owned(),
                );
            }
        }
    }
    Ok(())
}
