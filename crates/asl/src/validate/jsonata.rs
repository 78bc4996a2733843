//! Cheap checks of JSONata expressions (`"{% <expr> %}"`) at definition time.
//!
//! This module's checks give jsonata-js's wording for the common mistakes; the full parser of
//! [`crate::jsonata`] then refuses whatever else does not parse. Its own checks:
//! - the surround: exactly `{% ` … ` %}` on one line (AWS's own language-service schema uses
//!   `^{%(.*)%}$`, whose `.` does not match a line break, and the asl-validator corpus refuses
//!   `"{% \n10 %}"` and `"{%10%}"`);
//! - tokens: string literals, quoted names, regular expressions and comments are terminated;
//! - brackets `()`, `[]`, `{}` balance and nest;
//! - operands and operators alternate (`1 +` ends too early, `10 + * 2` has an operand where
//!   an operator belongs, `[?(` starts with an operator that has no unary form).
//!
//! Messages are JSONata's own (AWS strips the `S0xxx` code and returns the parser's text under
//! `INVALID_JSONATA_EXPRESSION`), for example `Unexpected end of expression`.

/// What a string in a JSONata-mode field is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Shape<'a> {
    /// An ordinary string: taken literally.
    Literal,
    /// A well-surrounded expression (the text between `{% ` and ` %}`).
    Expression(&'a str),
    /// Starts like an expression but is not surrounded as AWS requires.
    BadSurround,
}

/// Classifies a string found in a JSONata-mode field.
pub(super) fn shape(text: &str) -> Shape<'_> {
    let opens = text.starts_with("{%");
    let closes = text.ends_with("%}");
    if !opens && !closes {
        return Shape::Literal;
    }
    if text.len() >= 6 && text.starts_with("{% ") && text.ends_with(" %}") {
        let inner = &text[3..text.len() - 3];
        if !inner.is_empty() && !inner.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
            return Shape::Expression(inner);
        }
    }
    Shape::BadSurround
}

/// Checks an expression's syntax; `Err` holds JSONata's message without its `S0xxx` code, as
/// AWS returns it.
///
/// This module's own checks run first, for their wording: they give jsonata-js's messages
/// (`Syntax error: "2"`), which jsonata-core words differently (`Syntax error: Number(2.0)`).
/// What they let through is then parsed by the parser the engine evaluates with
/// ([`crate::jsonata`]), so every expression the engine could not parse is refused here.
pub(super) fn check_expression(expression: &str) -> Result<(), String> {
    let tokens = tokenize(expression)?;
    Parser::default().run(&tokens)?;
    match crate::jsonata::Expression::parse(expression) {
        Ok(_) => Ok(()),
        Err(error) => {
            let message = match &error.code {
                Some(code) => error
                    .message
                    .strip_prefix(code.as_str())
                    .and_then(|rest| rest.strip_prefix(": "))
                    .unwrap_or(&error.message),
                None => &error.message,
            };
            Err(message.to_owned())
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A literal or a name: anything that is a complete operand by itself.
    Operand(String),
    /// An operator or punctuation symbol.
    Symbol(&'static str),
    /// A name that is an operator when it follows an operand: `and`, `or`, `in`.
    WordOperator(String),
}

/// The symbols JSONata knows, longest first so that `..` wins over `.`.
const SYMBOLS: [&str; 35] = [
    "..", ":=", "!=", "<=", ">=", "~>", "??", "?:", "**", ".", "[", "]", "{", "}", "(", ")", ",",
    "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^", "&", "~", "!",
];

fn is_name_char(c: char) -> bool {
    !c.is_whitespace() && !".[]{}(),@#;:?+-*/%|=<>^&~!\"'`$".contains(c)
}

fn tokenize(expression: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = expression.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c.is_whitespace() {
            index += 1;
            continue;
        }
        if c == '/' && chars.get(index + 1) == Some(&'*') {
            let mut end = index + 2;
            loop {
                if end + 1 >= chars.len() {
                    return Err("Comment has no closing tag".to_owned());
                }
                if chars[end] == '*' && chars[end + 1] == '/' {
                    break;
                }
                end += 1;
            }
            index = end + 2;
            continue;
        }
        if c == '/' && expects_operand(&tokens) {
            // A regular expression literal.
            let mut end = index + 1;
            loop {
                match chars.get(end) {
                    None => return Err("No terminating / in regular expression".to_owned()),
                    Some('\\') => end += 2,
                    Some('/') => break,
                    Some(_) => end += 1,
                }
            }
            end += 1;
            while chars.get(end).is_some_and(|c| c.is_ascii_alphabetic()) {
                end += 1;
            }
            tokens.push(Token::Operand("/regex/".to_owned()));
            index = end;
            continue;
        }
        if c == '"' || c == '\'' {
            let mut end = index + 1;
            loop {
                match chars.get(end) {
                    None => {
                        return Err(
                            "String literal must be terminated by a matching quote".to_owned()
                        );
                    }
                    Some('\\') => end += 2,
                    Some(q) if *q == c => break,
                    Some(_) => end += 1,
                }
            }
            tokens.push(Token::Operand("\"string\"".to_owned()));
            index = end + 1;
            continue;
        }
        if c == '`' {
            let Some(offset) = chars[index + 1..].iter().position(|c| *c == '`') else {
                return Err(
                    "Quoted property name must be terminated with a backquote (`)".to_owned(),
                );
            };
            tokens.push(Token::Operand("`name`".to_owned()));
            index += offset + 2;
            continue;
        }
        if c.is_ascii_digit() {
            let mut end = index;
            while chars.get(end).is_some_and(char::is_ascii_digit) {
                end += 1;
            }
            if chars.get(end) == Some(&'.') && chars.get(end + 1).is_some_and(char::is_ascii_digit)
            {
                end += 1;
                while chars.get(end).is_some_and(char::is_ascii_digit) {
                    end += 1;
                }
            }
            if matches!(chars.get(end), Some('e' | 'E')) {
                let mut exponent = end + 1;
                if matches!(chars.get(exponent), Some('+' | '-')) {
                    exponent += 1;
                }
                if chars.get(exponent).is_some_and(char::is_ascii_digit) {
                    end = exponent;
                    while chars.get(end).is_some_and(char::is_ascii_digit) {
                        end += 1;
                    }
                }
            }
            tokens.push(Token::Operand(chars[index..end].iter().collect()));
            index = end;
            continue;
        }
        if c == '$' {
            let mut end = index + 1;
            if chars.get(end) == Some(&'$') {
                end += 1;
            }
            while chars.get(end).is_some_and(|c| is_name_char(*c)) {
                end += 1;
            }
            tokens.push(Token::Operand(chars[index..end].iter().collect()));
            index = end;
            continue;
        }
        if let Some(symbol) = SYMBOLS.iter().find(|symbol| {
            let symbol_chars: Vec<char> = symbol.chars().collect();
            chars[index..].starts_with(&symbol_chars)
        }) {
            tokens.push(Token::Symbol(symbol));
            index += symbol.chars().count();
            continue;
        }
        let mut end = index;
        while chars.get(end).is_some_and(|c| is_name_char(*c)) {
            end += 1;
        }
        if end == index {
            return Err(format!("Unknown operator: \"{c}\""));
        }
        let word: String = chars[index..end].iter().collect();
        if matches!(word.as_str(), "and" | "or" | "in") {
            tokens.push(Token::WordOperator(word));
        } else {
            tokens.push(Token::Operand(word));
        }
        index = end;
    }
    Ok(tokens)
}

/// True when the next token sits where an operand belongs (so `/` starts a regex).
fn expects_operand(tokens: &[Token]) -> bool {
    match tokens.last() {
        None => true,
        Some(Token::Operand(_)) => false,
        Some(Token::WordOperator(_)) => true,
        Some(Token::Symbol(symbol)) => !matches!(*symbol, ")" | "]" | "}" | "*" | "**" | "%"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    Paren,
    OrderBy,
    Bracket,
    Brace,
    /// A transform `| pattern | update [, delete] |`, with how many bars were seen.
    Transform(u8),
}

impl Open {
    fn closer(self) -> &'static str {
        match self {
            Open::Paren | Open::OrderBy => ")",
            Open::Bracket => "]",
            Open::Brace => "}",
            Open::Transform(_) => "|",
        }
    }
}

#[derive(Default)]
struct Parser {
    stack: Vec<Open>,
    /// True when an operand is needed next.
    want_operand: bool,
    /// True right after an opening bracket, where the closer is allowed at once (`()`, `[]`).
    just_opened: bool,
    /// True after `^`: the next `(` opens an order-by, where `<` and `>` are prefixes.
    order_by_next: bool,
}

impl Parser {
    fn run(mut self, tokens: &[Token]) -> Result<(), String> {
        self.want_operand = true;
        let mut index = 0;
        while index < tokens.len() {
            let token = &tokens[index];
            let just_opened = std::mem::take(&mut self.just_opened);
            if self.want_operand {
                self.operand(token, just_opened, tokens.get(index + 1))?;
            } else {
                self.operator(token, tokens.get(index + 1))?;
            }
            index += 1;
        }
        if let Some(open) = self.stack.last() {
            return Err(format!(
                "Expected \"{}\" before end of expression",
                open.closer()
            ));
        }
        if self.want_operand {
            return Err("Unexpected end of expression".to_owned());
        }
        Ok(())
    }

    fn open(&mut self, open: Open) {
        self.stack.push(open);
        self.want_operand = true;
        self.just_opened = true;
    }

    fn operand(
        &mut self,
        token: &Token,
        just_opened: bool,
        next: Option<&Token>,
    ) -> Result<(), String> {
        match token {
            Token::Operand(_) | Token::WordOperator(_) => {
                self.want_operand = false;
                Ok(())
            }
            Token::Symbol(symbol) => match *symbol {
                "(" => {
                    let order_by = std::mem::take(&mut self.order_by_next);
                    self.open(if order_by { Open::OrderBy } else { Open::Paren });
                    Ok(())
                }
                "[" => {
                    self.open(Open::Bracket);
                    Ok(())
                }
                "{" => {
                    self.open(Open::Brace);
                    Ok(())
                }
                "|" => {
                    self.open(Open::Transform(0));
                    Ok(())
                }
                "-" => Ok(()),
                "<" | ">" if self.stack.last() == Some(&Open::OrderBy) => Ok(()),
                "*" | "**" | "%" => {
                    self.want_operand = false;
                    Ok(())
                }
                ")" | "]" | "}" if just_opened => self.close(symbol),
                "?" | ":" if next.is_none() => Err("Unexpected end of expression".to_owned()),
                other => Err(format!(
                    "The symbol \"{other}\" cannot be used as a unary operator"
                )),
            },
        }
    }

    fn operator(&mut self, token: &Token, next: Option<&Token>) -> Result<(), String> {
        match token {
            Token::Operand(text) => Err(format!("Syntax error: \"{text}\"")),
            Token::WordOperator(_) => {
                self.want_operand = true;
                Ok(())
            }
            Token::Symbol(symbol) => match *symbol {
                "(" => {
                    self.open(Open::Paren);
                    Ok(())
                }
                "[" => {
                    self.open(Open::Bracket);
                    Ok(())
                }
                "{" => {
                    self.open(Open::Brace);
                    Ok(())
                }
                "^" => {
                    if next != Some(&Token::Symbol("(")) {
                        return Err("Expected \"(\", got \"^\"".to_owned());
                    }
                    self.order_by_next = true;
                    self.want_operand = true;
                    Ok(())
                }
                ")" | "]" | "}" => self.close(symbol),
                "|" => match self.stack.last().copied() {
                    Some(Open::Transform(0)) => {
                        self.stack.pop();
                        self.stack.push(Open::Transform(1));
                        self.want_operand = true;
                        Ok(())
                    }
                    Some(Open::Transform(_)) => {
                        self.stack.pop();
                        self.want_operand = false;
                        Ok(())
                    }
                    _ => Err("Syntax error: \"|\"".to_owned()),
                },
                "," => {
                    if self.stack.is_empty() {
                        return Err("Syntax error: \",\"".to_owned());
                    }
                    self.want_operand = true;
                    Ok(())
                }
                ";" => {
                    if !matches!(self.stack.last(), Some(Open::Paren)) {
                        return Err("Syntax error: \";\"".to_owned());
                    }
                    self.want_operand = true;
                    // A block may end with a `;` before its `)`.
                    self.just_opened = next == Some(&Token::Symbol(")"));
                    Ok(())
                }
                "~" | "!" => Err(format!("Syntax error: \"{symbol}\"")),
                _ => {
                    self.want_operand = true;
                    Ok(())
                }
            },
        }
    }

    fn close(&mut self, symbol: &str) -> Result<(), String> {
        match self.stack.pop() {
            Some(open) if open.closer() == symbol => {
                self.want_operand = false;
                Ok(())
            }
            Some(open) => Err(format!("Expected \"{}\", got \"{symbol}\"", open.closer())),
            None => Err(format!("Syntax error: \"{symbol}\"")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(expression: &str) {
        assert_eq!(check_expression(expression), Ok(()), "{expression}");
    }

    fn bad(expression: &str, message: &str) {
        assert_eq!(
            check_expression(expression),
            Err(message.to_owned()),
            "{expression}"
        );
    }

    #[test]
    fn surround() {
        assert_eq!(shape("{% 10 %}"), Shape::Expression("10"));
        assert_eq!(shape("plain"), Shape::Literal);
        assert_eq!(shape("{%10%}"), Shape::BadSurround);
        assert_eq!(shape("{% 10 %"), Shape::BadSurround);
        assert_eq!(shape("10 %}"), Shape::BadSurround);
        assert_eq!(shape("{% \n10 %}"), Shape::BadSurround);
        assert_eq!(shape("{%"), Shape::BadSurround);
        assert_eq!(shape("{% %}"), Shape::BadSurround);
    }

    #[test]
    fn valid_expressions() {
        ok("10");
        ok("1+2");
        ok("$sum($states.input.numbers)");
        ok("$uuid()");
        ok("$round($random() * 10)");
        ok("$exists($states.input.moreData) ? $states.input.moreData : {}");
        ok(
            "$not(null in $each($states.input.data.address, function($v) { $length($trim($v)) > 0 ? $v : null }))",
        );
        ok("$match($x, /^[a-z]+\\/$/i) and $y");
        ok("($e := $a.b; $n := $a & ' ' & $b; $a.items[category = 'home']{'c': $n, k: {t: y}})");
        ok("$a^(>price, <name)");
        ok("$ ~> |$|{'a': 1}, ['b']|");
        ok("[1..5]");
        ok("$.a[]");
        ok("foo.**.bar");
        ok("`quoted name`.x /* comment */");
        ok("-1");
        ok("$$.x");
    }

    #[test]
    fn invalid_expressions() {
        bad("420.", "Unexpected end of expression");
        bad("10 + * 2", "Syntax error: \"2\"");
        bad(
            "$.store.book[?(@.price < 10)].title",
            "The symbol \"?\" cannot be used as a unary operator",
        );
        bad(
            "$sum($states.input.items.numbers",
            "Expected \")\" before end of expression",
        );
        bad("a[1,2)", "Expected \"]\", got \")\"");
        bad("a ^ b", "Expected \"(\", got \"^\"");
        bad(
            "\"unterminated",
            "String literal must be terminated by a matching quote",
        );
        bad("1 +", "Unexpected end of expression");
        bad(
            "{\"a\":}",
            "The symbol \"}\" cannot be used as a unary operator",
        );
        bad("$x :=", "Unexpected end of expression");
        bad(
            "$match(\"a\", /abc",
            "No terminating / in regular expression",
        );
        // Past this module's own checks, the parser refuses what it cannot parse.
        bad(
            "[1,2,3]{\"num\": $}[true]",
            "A predicate cannot follow a grouping expression in a step",
        );
        bad(
            "$.7",
            "The literal value 7 cannot be used as a step within a path expression",
        );
    }
}
