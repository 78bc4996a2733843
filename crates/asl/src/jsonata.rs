//! JSONata as Step Functions evaluates it (`"{% <expression> %}"`, aws-semantics.md §6.7): the
//! jsonata-core evaluator (DEPENDENCIES.md §4, pinned), with what Step Functions changes.
//!
//! - The functions Step Functions adds: `$partition(array, size)`, `$range(start, end, step)`
//!   (the end included), `$hash(value, algorithm)`, `$random([seed])` (with a seed, the first
//!   `nextDouble()` of Java's `java.util.Random`, as AWS computes it), `$uuid()` and
//!   `$parse(text)`.
//! - `$eval` is not available: calling it is an error, as on AWS.
//! - The impure built-ins are made deterministic: `$now()` and `$millis()` read the `now` the
//!   caller passes, and `$random()` and `$uuid()` draw from a generator seeded from the caller's
//!   [`Entropy`], so an execution replayed from its journal computes the same values.
//! - Limits: evaluation depth and sequence length are bounded (deterministic), and a generous
//!   wall-clock limit stops a runaway expression ([`Limits`]).
//!
//! Expressions are parsed once ([`Expression::parse`]) and evaluated many times; the parsed
//! form is `Send + Sync` and cheap to clone. The evaluator itself is single-threaded
//! (jsonata-core's values use `Rc`), so an evaluation runs to its end on the calling thread.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::JValue;
use serde_json::Value;

use crate::Entropy;

/// A parsed JSONata expression.
#[derive(Clone)]
pub struct Expression {
    source: Arc<str>,
    ast: Arc<AstNode>,
    /// The variables it reads from outside, found once at parse time.
    outside: Arc<[String]>,
    /// Every `$name` it reads, those it also binds itself included (`$n := $n + 1` reads the
    /// outer `$n` first): what a caller must bind for it.
    reads: Arc<[String]>,
    /// What it reads of `$states`.
    states: StatesUse,
}

/// What an expression reads of `$states`, so that a caller builds only that (the Context
/// object holds the whole execution input: converting it for every expression that does not
/// read it made a Map over a large input quadratic).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatesUse {
    /// `$states.input`.
    pub input: bool,
    /// `$states.context`.
    pub context: bool,
    /// `$states.context.Execution` (which holds the whole execution input), or the Context
    /// object as a whole.
    pub context_execution: bool,
    /// `$states.result`.
    pub result: bool,
    /// `$states.errorOutput`.
    pub error_output: bool,
}

impl StatesUse {
    /// Every part: for an expression that reads `$states` other than by a member name.
    pub const ALL: StatesUse = StatesUse {
        input: true,
        context: true,
        context_execution: true,
        result: true,
        error_output: true,
    };

    /// What `source` reads of `$states`, by its text: `$states.<member>` names one part;
    /// any other use of `$states` reads them all.
    fn of(source: &str) -> StatesUse {
        let mut uses = StatesUse::default();
        for (start, _) in source.match_indices("$states") {
            let rest = &source[start + "$states".len()..];
            if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue; // `$statesX`: another variable.
            }
            let member = rest.strip_prefix('.').map(|member| {
                member
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()
            });
            match member {
                Some("input") => uses.input = true,
                Some("context") => {
                    uses.context = true;
                    let after = &rest[".context".len()..];
                    let next = after.strip_prefix('.').map(|member| {
                        member
                            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .next()
                            .unwrap_or_default()
                    });
                    if !matches!(next, Some("Map" | "State" | "StateMachine" | "Task")) {
                        uses.context_execution = true;
                    }
                }
                Some("result") => uses.result = true,
                Some("errorOutput") => uses.error_output = true,
                _ => return StatesUse::ALL,
            }
        }
        uses
    }
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_tuple("Expression")
            .field(&self.source)
            .finish()
    }
}

impl PartialEq for Expression {
    fn eq(&self, other: &Expression) -> bool {
        self.source == other.source
    }
}

/// An expression that does not parse: JSONata's code (`S0202`, ...) and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The code, when JSONata gives one.
    pub code: Option<String>,
    /// The message, with the code in front as JSONata writes it (`S0202: Expected ...`).
    pub message: String,
}

/// Why an evaluation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The expression threw (a type error, a bad argument, a limit, `$error()`).
    #[error("{message}")]
    Threw {
        /// JSONata's code (`T1006`, `D3030`, ...), when it gives one.
        code: Option<String>,
        /// The message, with the code in front (`T1006: Attempted to invoke a non-function`).
        message: String,
    },
}

impl EvalError {
    /// The code, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            EvalError::Threw { code, .. } => code.as_deref(),
        }
    }
}

/// The bounds of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The deepest evaluation stack (JSONata's `D1011` beyond it); `None`: jsonata-core's own
    /// backstop of 30,000 levels, beyond which it stops with `U1001` as jsonata-js does when
    /// its stack overflows.
    pub max_depth: Option<usize>,
    /// The longest sequence an expression may build (`D2015` beyond it).
    pub max_sequence: usize,
    /// Wall-clock milliseconds (`D1012` beyond it). The only bound that depends on the
    /// machine: set far above what a sane expression takes, it only stops runaways.
    pub timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: None,
            max_sequence: 10_000_000,
            timeout_ms: 10_000,
        }
    }
}

/// Where an evaluation gets time and randomness from.
pub struct Host<'a> {
    /// `$now()` and `$millis()`: epoch milliseconds.
    pub now_ms: i64,
    /// Seeds the generator behind `$random()` and `$uuid()` (one draw per evaluation).
    pub entropy: &'a mut dyn Entropy,
    /// The bounds.
    pub limits: Limits,
}

fn code_of(message: &str) -> Option<String> {
    jsonata_core::evaluator::error_code_prefix(message).map(str::to_owned)
}

/// A parser error as JSONata reports it: the message from its code on (jsonata-core puts
/// `Invalid syntax: ` and the like before some), and JSONata's code and text for the one error
/// jsonata-core gives none.
fn parse_error(error: &jsonata_core::parser::ParserError) -> ParseError {
    if matches!(error, jsonata_core::parser::ParserError::UnclosedComment) {
        return ParseError {
            code: Some("S0106".to_owned()),
            message: "S0106: Comment has no closing tag".to_owned(),
        };
    }
    let text = error.to_string();
    let coded = (0..text.len())
        .filter(|start| text.is_char_boundary(*start))
        .find_map(|start| code_of(&text[start..]).map(|code| (start, code)));
    match coded {
        Some((start, code)) => ParseError {
            code: Some(code),
            message: text[start..].to_owned(),
        },
        None => ParseError {
            code: None,
            message: text,
        },
    }
}

impl Expression {
    /// Parses an expression (the text between `{%` and `%}`, without them).
    pub fn parse(source: &str) -> Result<Expression, ParseError> {
        let parsed = std::panic::catch_unwind(|| jsonata_core::parser::parse(source));
        let Ok(parsed) = parsed else {
            return Err(ParseError {
                code: None,
                message: "the JSONata parser failed on this expression (an internal error of \
                          jsonata-core)"
                    .to_owned(),
            });
        };
        match parsed {
            Ok(ast) => {
                let mut expression = Expression {
                    source: source.into(),
                    ast: Arc::new(ast),
                    outside: Arc::from(Vec::new()),
                    reads: Arc::from(Vec::new()),
                    states: StatesUse::of(source),
                };
                let (outside, reads) = expression.find_variables();
                expression.outside = outside.into();
                expression.reads = reads.into();
                Ok(expression)
            }
            Err(error) => Err(parse_error(&error)),
        }
    }

    /// The expression's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variables the expression reads from outside (`$name`), in order of name: not
    /// `$states`, nor names it binds itself (`$x := ...`, a function's parameters).
    pub fn variables(&self) -> Vec<String> {
        self.outside.to_vec()
    }

    /// Every variable name the expression reads, those it binds itself too: the variables to
    /// bind for it (a name it binds shadows the outer one only from its binding on).
    pub fn reads(&self) -> &[String] {
        &self.reads
    }

    /// What the expression reads of `$states`.
    pub fn states_use(&self) -> StatesUse {
        self.states
    }

    fn find_variables(&self) -> (Vec<String>, Vec<String>) {
        fn walk(node: &Value, read: &mut Vec<String>, bound: &mut Vec<String>) {
            match node {
                Value::Object(object) => {
                    if let Some(Value::String(name)) = object.get("Variable") {
                        read.push(name.clone());
                    }
                    if let Some(lambda) = object.get("Lambda")
                        && let Some(params) = lambda.get("params").and_then(Value::as_array)
                    {
                        bound.extend(params.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                    if let Some(binary) = object.get("Binary")
                        && binary.get("op").and_then(Value::as_str) == Some("ColonEqual")
                        && let Some(name) = binary
                            .get("lhs")
                            .and_then(|lhs| lhs.get("Variable"))
                            .and_then(Value::as_str)
                    {
                        bound.push(name.to_owned());
                    }
                    object.values().for_each(|value| walk(value, read, bound));
                }
                Value::Array(items) => items.iter().for_each(|item| walk(item, read, bound)),
                _ => {}
            }
        }
        let Ok(tree) = serde_json::to_value(&*self.ast) else {
            return (Vec::new(), Vec::new());
        };
        let (mut read, mut bound) = (Vec::new(), Vec::new());
        walk(&tree, &mut read, &mut bound);
        read.retain(|name| !name.is_empty() && name != "states");
        read.sort();
        read.dedup();
        let outside = read
            .iter()
            .filter(|name| !bound.contains(name))
            .cloned()
            .collect();
        (outside, read)
    }

    /// Evaluates the expression over `input` (`None`: JSONata's `undefined`), with `bindings`
    /// as variables (`$states`, workflow variables). Answers `None` when the result is
    /// `undefined`; a function value comes back as `Err` (it is not JSON).
    pub fn evaluate(
        &self,
        input: Option<&Value>,
        bindings: &[(&str, &Value)],
        host: &mut Host<'_>,
    ) -> Result<Option<Value>, EvalError> {
        let mut context = Context::new();
        for (name, value) in bindings {
            context.bind((*name).to_owned(), JValue::from((*value).clone()));
        }
        let limits = host.limits;
        let mut evaluator = Evaluator::with_options(
            context,
            EvaluatorOptions {
                timeout_ms: Some(limits.timeout_ms),
                max_stack_depth: limits.max_depth,
                max_sequence_length: Some(limits.max_sequence),
                ..EvaluatorOptions::default()
            },
        );
        register_functions(&mut evaluator, host);
        let data = input.map_or(JValue::Undefined, |value| JValue::from(value.clone()));
        // jsonata-core is a young crate, and fuzzing found inputs on which it panics (an
        // arithmetic overflow in `$parseInteger` with a picture of full-width digits); a panic
        // there is the expression's failure, not the server's.
        let evaluated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            evaluator.evaluate(&self.ast, &data)
        }));
        let result = match evaluated {
            Ok(result) => result.map_err(threw)?,
            Err(_) => return Err(evaluator_panicked()),
        };
        to_json(&result)
    }
}

/// What an expression on which the evaluator panicked fails with.
fn evaluator_panicked() -> EvalError {
    EvalError::Threw {
        code: None,
        message: "the JSONata evaluator failed on this expression (an internal error of \
                  jsonata-core)"
            .to_owned(),
    }
}

fn threw(error: EvaluatorError) -> EvalError {
    let text = error.message();
    // Signature failures come as `Signature validation failed: T0410: ...`: the code is inside.
    let start = (0..text.len())
        .filter(|start| text.is_char_boundary(*start))
        .find(|start| code_of(&text[*start..]).is_some());
    let mut message = start.map_or(text, |start| &text[start..]).to_owned();
    // jsonata-core names the function after jsonata-js's text; AWS's causes carry jsonata-js's
    // text alone.
    const NON_FUNCTION: &str = "T1006: Attempted to invoke a non-function";
    if message.starts_with(NON_FUNCTION) {
        message = NON_FUNCTION.to_owned();
    }
    EvalError::Threw {
        code: code_of(&message),
        message,
    }
}

fn error(code: &str, message: &str) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("{code}: {message}"))
}

/// A JSONata result as JSON: `None` for `undefined`; functions and regexes are not JSON.
pub fn to_json(value: &JValue) -> Result<Option<Value>, EvalError> {
    fn convert(value: &JValue) -> Result<Value, EvalError> {
        Ok(match value {
            JValue::Null | JValue::Undefined => Value::Null,
            JValue::Bool(flag) => Value::Bool(*flag),
            JValue::Number(number) => number_json(*number),
            JValue::String(text) => Value::String(text.to_string()),
            JValue::Array(items) => Value::Array(
                items
                    .iter()
                    .filter(|item| !item.is_undefined())
                    .map(convert)
                    .collect::<Result<_, _>>()?,
            ),
            JValue::Object(map) => Value::Object(
                map.iter()
                    .filter(|(_, item)| !item.is_undefined())
                    .map(|(key, item)| Ok((key.clone(), convert(item)?)))
                    .collect::<Result<_, EvalError>>()?,
            ),
            _ => {
                return Err(EvalError::Threw {
                    code: None,
                    message: "the expression returned a function, which is not JSON".to_owned(),
                });
            }
        })
    }
    if value.is_undefined() {
        return Ok(None);
    }
    convert(value).map(Some)
}

/// A JSONata number as JSON: whole numbers as integers (JSONata prints `3`, not `3.0`), others
/// as they are; infinities and NaN (which JSON cannot hold) as null.
fn number_json(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
        Value::from(number as i64)
    } else {
        serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
    }
}

/// `java.util.Random`, as far as `$random(seed)` needs it: the 48-bit linear congruential
/// generator and `nextDouble()`. Written here because AWS's results are defined by this exact
/// generator, which no crate reproduces.
struct JavaRandom(u64);

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    fn new(seed: i64) -> JavaRandom {
        JavaRandom((seed as u64 ^ Self::MULTIPLIER) & Self::MASK)
    }

    fn next(&mut self, bits: u32) -> u64 {
        self.0 = (self.0.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        self.0 >> (48 - bits)
    }

    fn next_double(&mut self) -> f64 {
        let high = self.next(26);
        let low = self.next(27);
        ((high << 27) + low) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// A small generator for `$random()` and `$uuid()` within one evaluation, seeded from the
/// caller's entropy (SplitMix64: good enough for values, deterministic for replays).
struct Draws(u64);

impl Draws {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn number_arg(args: &[JValue], index: usize, function: &str) -> Result<f64, EvaluatorError> {
    match args.get(index) {
        Some(JValue::Number(number)) => Ok(*number),
        _ => Err(error(
            "T0410",
            &format!(
                "Argument {} of function \"{function}\" does not match function signature",
                index + 1
            ),
        )),
    }
}

/// A function registered with the evaluator.
type HostFunction = Box<dyn Fn(&[JValue]) -> Result<JValue, EvaluatorError>>;

fn register_functions(evaluator: &mut Evaluator, host: &mut Host<'_>) {
    let now_ms = host.now_ms;
    let draws = Rc::new(RefCell::new(Draws(host.entropy.next_u64())));
    let overrides: Vec<(&str, HostFunction)> = vec![
        (
            "millis",
            Box::new(move |_| Ok(JValue::Number(now_ms as f64))),
        ),
        (
            "now",
            Box::new(move |_| {
                let time = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
                Ok(JValue::from(
                    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().as_str(),
                ))
            }),
        ),
        (
            "eval",
            Box::new(|_| Err(error("T1006", "Attempted to invoke a non-function"))),
        ),
        ("random", {
            let draws = Rc::clone(&draws);
            Box::new(move |args| match args.first() {
                None | Some(JValue::Undefined) => {
                    let bits = draws.borrow_mut().next_u64() >> 11;
                    Ok(JValue::Number(bits as f64 / (1u64 << 53) as f64))
                }
                Some(_) => {
                    let seed = number_arg(args, 0, "random")?;
                    Ok(JValue::Number(JavaRandom::new(seed as i64).next_double()))
                }
            })
        }),
        // jsonata-core shuffles with a generator of its own; this one draws from the host's
        // entropy, so that a replay of the execution shuffles the same way.
        ("shuffle", {
            let draws = Rc::clone(&draws);
            Box::new(move |args| {
                let mut items: Vec<JValue> = match args.first() {
                    None | Some(JValue::Undefined) => return Ok(JValue::Undefined),
                    Some(JValue::Array(items)) => items.iter().cloned().collect(),
                    Some(other) => vec![other.clone()],
                };
                let mut draws = draws.borrow_mut();
                for last in (1..items.len()).rev() {
                    let pick = (draws.next_u64() % (last as u64 + 1)) as usize;
                    items.swap(last, pick);
                }
                Ok(JValue::array(items))
            })
        }),
    ];
    for (name, function) in overrides {
        // These built-ins are the overridable (impure, tree-walked) ones; a refusal would be a
        // jsonata-core change that the tests of this module catch.
        let _ = evaluator.register_fn_override(name, function);
    }
    let added: Vec<(&str, HostFunction)> = vec![
        ("partition", Box::new(partition)),
        ("range", Box::new(range)),
        ("hash", Box::new(hash)),
        ("parse", Box::new(parse)),
        ("uuid", {
            let draws = Rc::clone(&draws);
            Box::new(move |_| {
                let mut draws = draws.borrow_mut();
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&draws.next_u64().to_le_bytes());
                bytes[8..].copy_from_slice(&draws.next_u64().to_le_bytes());
                bytes[6] = (bytes[6] & 0x0f) | 0x40;
                bytes[8] = (bytes[8] & 0x3f) | 0x80;
                let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
                Ok(JValue::from(
                    format!(
                        "{}-{}-{}-{}-{}",
                        &hex[..8],
                        &hex[8..12],
                        &hex[12..16],
                        &hex[16..20],
                        &hex[20..]
                    )
                    .as_str(),
                ))
            })
        }),
    ];
    for (name, function) in added {
        let _ = evaluator.register_fn(name, function);
    }
}

/// `$partition(array, size)`: the array in consecutive chunks of `size` (the last may be
/// shorter).
fn partition(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let JValue::Array(items) = args.first().unwrap_or(&JValue::Undefined) else {
        return Err(error(
            "T0410",
            "Argument 1 of function \"partition\" does not match function signature",
        ));
    };
    let size = number_arg(args, 1, "partition")?;
    if size < 1.0 || size.fract() != 0.0 {
        return Err(error(
            "D3030",
            "The size of a partition must be a positive integer",
        ));
    }
    let items: Vec<JValue> = items.iter().cloned().collect();
    Ok(JValue::array(
        items
            .chunks(size as usize)
            .map(|chunk| JValue::array(chunk.to_vec()))
            .collect(),
    ))
}

/// `$range(start, end, step)`: `start`, `start + step`, ... up to `end` included.
fn range(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let start = number_arg(args, 0, "range")?;
    let end = number_arg(args, 1, "range")?;
    let step = number_arg(args, 2, "range")?;
    if step == 0.0 || !step.is_finite() {
        return Err(error("D3030", "The step of a range must not be zero"));
    }
    let mut values = Vec::new();
    let mut value = start;
    while (step > 0.0 && value <= end) || (step < 0.0 && value >= end) {
        if values.len() >= 1_000_000 {
            return Err(error(
                "D2014",
                "The size of the sequence allocated by $range has exceeded the maximum of \
                 1,000,000",
            ));
        }
        values.push(JValue::Number(value));
        value += step;
    }
    // A sequence of one is its item, as JSONata gives sequences out (AWS: `$range(1, 1, 1)`
    // is `1`).
    if values.len() == 1 {
        return Ok(values.remove(0));
    }
    Ok(JValue::array(values))
}

/// `$hash(value, algorithm)`: the hex digest of a string (`MD5`, `SHA-1`, `SHA-256`,
/// `SHA-384`, `SHA-512`).
fn hash(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let text = match args.first() {
        Some(JValue::String(text)) => text.to_string(),
        _ => {
            return Err(error(
                "T0410",
                "Argument 1 of function \"hash\" does not match function signature",
            ));
        }
    };
    let algorithm = match args.get(1) {
        Some(JValue::String(algorithm)) => algorithm.to_string(),
        None | Some(JValue::Undefined) => "SHA-256".to_owned(),
        _ => {
            return Err(error(
                "T0410",
                "Argument 2 of function \"hash\" does not match function signature",
            ));
        }
    };
    let hex =
        crate::intrinsics::functions::hex_digest(&algorithm, text.as_bytes()).ok_or_else(|| {
            error(
                "D3030",
                &format!(
                    "Unsupported hash algorithm '{algorithm}': use MD5, SHA-1, SHA-256, SHA-384 \
                     or SHA-512"
                ),
            )
        })?;
    Ok(JValue::from(hex.as_str()))
}

/// `$parse(text)`: the JSON value of a string.
fn parse(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let Some(JValue::String(text)) = args.first() else {
        return Err(error(
            "T0410",
            "Argument 1 of function \"parse\" does not match function signature",
        ));
    };
    let value: Value = serde_json::from_str(text)
        .map_err(|problem| error("D3030", &format!("Unable to parse JSON: {problem}")))?;
    Ok(JValue::from(value))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::SeededEntropy;

    fn eval(source: &str, input: Value) -> Result<Option<Value>, EvalError> {
        let mut entropy = SeededEntropy::new(7);
        let mut host = Host {
            now_ms: 1_764_633_600_123,
            entropy: &mut entropy,
            limits: Limits::default(),
        };
        let states = json!({"input": input});
        Expression::parse(source)
            .unwrap()
            .evaluate(None, &[("states", &states)], &mut host)
    }

    /// Found by `cargo fuzz run jsonata`: jsonata-core's `$shuffle` drew from a generator of
    /// its own, so the same seed shuffled differently.
    #[test]
    fn shuffle_draws_from_the_host_entropy() {
        let source = "$shuffle($states.input.items)";
        let items: Vec<i64> = (1..=20).collect();
        let first = eval(source, json!({"items": items})).unwrap().unwrap();
        let again = eval(source, json!({"items": items})).unwrap().unwrap();
        assert_eq!(first, again);
        let mut sorted: Vec<i64> = serde_json::from_value(first.clone()).unwrap();
        assert_ne!(sorted, items, "{first}");
        sorted.sort_unstable();
        assert_eq!(sorted, items);
        assert_eq!(eval("$shuffle(5)", json!({})).unwrap(), Some(json!([5])));
        assert_eq!(
            eval("$shuffle($states.input.none)", json!({})).unwrap(),
            None
        );
    }

    /// Found by `cargo fuzz run jsonata`, two panics of jsonata-core 2.2: an overflow parsing
    /// full-width digits against a picture with a full-width zero, and a string sliced inside a
    /// character in a `$toMillis` picture. Either is the expression's failure.
    #[test]
    fn parser_panics_fail_the_parse() {
        // Found by the jsonata target on 2026-12-03: jsonata-core's function signature parser
        // slices inside a character; the panic must come out as a parse error.
        let source = "($twice := function($f)<f<nm:n>:f<n:n>>{function($x)<n:n>{$f($f($x)($twice := function($f)<f<nm:n>\u{3d9}\u{d1}:n>>{function($x)<n:n>{$f($f($x))}};$add\u{3bb}($2 := function($x)<n:n>{$x+r};$add4 := $twice($add2);num)<(ns)-:n>{$nu$add\u{1}";
        assert!(Expression::parse(source).is_err());
    }

    #[test]
    fn evaluator_panics_fail_the_expression() {
        for source in [
            "$parseInteger('\u{ff11}\u{ff12}\u{f053}\u{ff14}\u{ff10}', '###\u{ff10}')",
            "$toMillis('TWENTY-SECOND August two thousand and sevenfloorteen', \
             '[\u{2030} [MNn] [Yw]')",
            // Found by the jsonata target on 2026-12-03: a picture with a width range on a
            // named fraction.
            "$fromMillis(15218216617, '[fNn,3-3], [D1o] [MNn,3-3LNn,3-3C]')",
            // Also found on 2026-12-03: pictures sliced inside a character.
            "$toMillis('1 Feb 2012', '[D*1] [,-4]3 ;] [Y0201]1]')",
            "$fromMillis(15218216617, '[FNn,3-3], [D1o] [\u{3bb}($arr, $sMNn,3-3Lamep)<a<s>s?:s>{$join($arr, $sep)}bda[C]')",
        ] {
            // Each of these panics inside jsonata-core 2.2.13: the panic must come out as the
            // expression's failure, never reach the caller.
            let error = eval(source, json!({})).expect_err(source);
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn states_and_the_step_functions_functions() {
        let input = json!({"items": [1, 2, 3, 4, 5], "name": "x"});
        assert_eq!(
            eval("$states.input.items[2]", input.clone()).unwrap(),
            Some(json!(3))
        );
        assert_eq!(eval("$states.input.nothing", input.clone()).unwrap(), None);
        assert_eq!(
            eval("$partition($states.input.items, 2)", input.clone()).unwrap(),
            Some(json!([[1, 2], [3, 4], [5]]))
        );
        assert_eq!(
            eval("$range(0, 10, 5)", input.clone()).unwrap(),
            Some(json!([0, 5, 10]))
        );
        assert_eq!(
            eval("$hash('input data', 'SHA-1')", input.clone()).unwrap(),
            Some(json!("aaff4a450a104cd177d28d18d74485e8cae074b7"))
        );
        assert_eq!(
            eval("$parse('{\"a\": [1, true]}')", input.clone()).unwrap(),
            Some(json!({"a": [1, true]}))
        );
        assert_eq!(
            eval("$now()", input.clone()).unwrap(),
            Some(json!("2025-12-02T00:00:00.123Z"))
        );
        assert_eq!(
            eval("$millis()", input.clone()).unwrap(),
            Some(json!(1_764_633_600_123_i64))
        );
        let uuid = eval("$uuid()", input.clone()).unwrap().unwrap();
        assert_eq!(uuid.as_str().unwrap().len(), 36);
        assert_eq!(uuid.as_str().unwrap().as_bytes()[14], b'4');
        // The same entropy gives the same draws: a replay computes the same values.
        assert_eq!(eval("$uuid()", input.clone()).unwrap().unwrap(), uuid);
        let random = eval("$random()", input).unwrap().unwrap().as_f64().unwrap();
        assert!((0.0..1.0).contains(&random));
    }

    #[test]
    fn what_an_expression_reads_of_states() {
        let uses = |source: &str| Expression::parse(source).unwrap().states_use();
        assert_eq!(
            uses("$states.input.a + $count($states.result)"),
            StatesUse {
                input: true,
                result: true,
                ..StatesUse::default()
            }
        );
        assert_eq!(uses("$states"), StatesUse::ALL);
        assert!(uses("$states.context.Execution.Name").context_execution);
        let item = uses("$states.context.Map.Item.Value");
        assert!(item.context && !item.context_execution);
        assert_eq!(uses("1 + 1"), StatesUse::default());
    }

    #[test]
    fn the_variables_an_expression_reads() {
        let read = |source: &str| Expression::parse(source).unwrap().variables();
        assert_eq!(
            read("$total > 10 and $states.input.x = $limit"),
            ["limit", "total"]
        );
        assert_eq!(read("($x := 1; $x + $y)"), ["y"]);
        // A name it binds after reading it is bound for it all the same.
        let counted = Expression::parse("($count := $count + 1; $count)").unwrap();
        assert_eq!(counted.reads(), ["count"]);
        assert_eq!(
            read("$map($items, function($v) { $v * $factor })"),
            ["factor", "items"]
        );
        assert!(read("$sum($states.input.n)").is_empty());
    }

    #[test]
    fn a_seeded_random_is_javas_first_next_double() {
        // new java.util.Random(42).nextDouble() and new Random(0).nextDouble().
        assert_eq!(
            eval("$random(42)", json!({})).unwrap(),
            Some(json!(0.7275636800328681))
        );
        assert_eq!(
            eval("$random(0)", json!({})).unwrap(),
            Some(json!(0.730967787376657))
        );
    }

    #[test]
    fn eval_is_not_available_and_errors_carry_codes() {
        let refused = eval("$eval('1 + 2')", json!({})).unwrap_err();
        assert_eq!(refused.code(), Some("T1006"));
        let threw = eval("$x()", json!({})).unwrap_err();
        assert_eq!(threw.code(), Some("T1006"), "{threw}");
        let bad = Expression::parse("1 +").unwrap_err();
        assert_eq!(bad.code.as_deref(), Some("S0207"));
        assert_eq!(bad.message, "S0207: Unexpected end of expression");
        let function = eval("function($x){$x}", json!({})).unwrap_err();
        assert_eq!(function.code(), None);
    }

    #[test]
    fn runaway_expressions_stop_at_the_limits() {
        let deep = eval(
            "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))",
            json!({}),
        )
        .unwrap_err();
        assert_eq!(deep.code(), Some("U1001"), "{deep}");
    }
}
