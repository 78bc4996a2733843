//! What each intrinsic function does at run time.
//!
//! Arguments are evaluated left to right (paths through the resolver, nested calls recursively)
//! and then handed to the function. Every check on argument values lives here and fails with
//! `States.IntrinsicFailure`.
//!
//! Where AWS's behaviour is recorded (the LocalStack snapshots of real AWS runs), this follows
//! it: `States.Format` prints objects and arrays the way Java's `toString` does
//! (`{Arg1=1, Arg2=[]}`), `States.JsonToString` prints compact JSON, `States.StringSplit` drops
//! empty pieces. The cause texts of failures are ours: the recordings contain none.

use std::collections::HashSet;

use base64::Engine as _;
use serde_json::{Map, Number, Value};
use sha2::Digest as _;

use super::Resolver;
use super::parse::{Arg, Function, Node};
use crate::{Failure, splitmix64};

/// The longest input `States.Base64Encode`, `States.Base64Decode` and `States.Hash` accept, in
/// characters.
const MAX_INPUT_CHARS: usize = 10_000;

/// The most elements `States.ArrayRange` may produce.
const MAX_RANGE_ELEMENTS: i128 = 1_000;

/// The floats that convert to `i64` without saturating: [-2^63, 2^63). Both bounds are exact
/// in `f64`.
const I64_AS_F64: std::ops::Range<f64> = (i64::MIN as f64)..-(i64::MIN as f64);

const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";

/// Evaluates a parsed call.
pub(crate) fn eval(node: &Node, resolver: &mut dyn Resolver) -> Result<Value, Failure> {
    let mut values = Vec::with_capacity(node.args.len());
    for arg in &node.args {
        values.push(match arg {
            Arg::Text { value, .. } => Value::String(value.clone()),
            Arg::Number(number) => Value::Number(number.clone()),
            Arg::Bool(value) => Value::Bool(*value),
            Arg::Null => Value::Null,
            Arg::Path(path) => resolver.resolve(path)?,
            Arg::Call(nested) => eval(nested, resolver)?,
        });
    }
    let call = Args {
        function: node.function,
        values,
    };
    match node.function {
        Function::Format => format(&call, &node.args[0]),
        Function::StringToJson => string_to_json(&call),
        Function::JsonToString => Ok(Value::String(call.values[0].to_string())),
        Function::Array => Ok(Value::Array(call.values)),
        Function::ArrayPartition => array_partition(&call),
        Function::ArrayContains => {
            let items = call.array(0)?;
            Ok(Value::Bool(items.contains(&call.values[1])))
        }
        Function::ArrayRange => array_range(&call),
        Function::ArrayGetItem => array_get_item(&call),
        Function::ArrayLength => Ok(Value::from(call.array(0)?.len())),
        Function::ArrayUnique => Ok(array_unique(call.array(0)?)),
        Function::Base64Encode => {
            let text = call.limited_string(0)?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(text),
            ))
        }
        Function::Base64Decode => base64_decode(&call),
        Function::Hash => hash(&call),
        Function::JsonMerge => json_merge(&call),
        Function::MathRandom => math_random(&call, resolver),
        Function::MathAdd => {
            let left = call.int32(0)?;
            let right = call.int32(1)?;
            Ok(Value::from(i64::from(left) + i64::from(right)))
        }
        Function::StringSplit => string_split(&call),
        Function::Uuid => Ok(Value::String(resolver.entropy().uuid_v4())),
    }
}

/// A function with its evaluated arguments, and the type checks shared by the functions.
struct Args {
    function: Function,
    values: Vec<Value>,
}

impl Args {
    fn fail(&self, detail: impl std::fmt::Display) -> Failure {
        Failure::new(
            INTRINSIC_FAILURE,
            format!("Invalid arguments in {}: {detail}", self.function.name()),
        )
    }

    fn wrong_type(&self, index: usize, expected: &str) -> Failure {
        self.fail(format_args!(
            "argument {} must be {expected}, got {}",
            index + 1,
            type_name(&self.values[index])
        ))
    }

    fn string(&self, index: usize) -> Result<&str, Failure> {
        match &self.values[index] {
            Value::String(text) => Ok(text),
            _ => Err(self.wrong_type(index, "a string")),
        }
    }

    /// A string of at most [`MAX_INPUT_CHARS`] characters.
    fn limited_string(&self, index: usize) -> Result<&str, Failure> {
        let text = self.string(index)?;
        let length = text.chars().count();
        if length > MAX_INPUT_CHARS {
            return Err(self.fail(format_args!(
                "the input string has {length} characters, more than the maximum of {MAX_INPUT_CHARS}"
            )));
        }
        Ok(text)
    }

    fn array(&self, index: usize) -> Result<&Vec<Value>, Failure> {
        match &self.values[index] {
            Value::Array(items) => Ok(items),
            _ => Err(self.wrong_type(index, "an array")),
        }
    }

    fn object(&self, index: usize) -> Result<&Map<String, Value>, Failure> {
        match &self.values[index] {
            Value::Object(fields) => Ok(fields),
            _ => Err(self.wrong_type(index, "an object")),
        }
    }

    /// A number, rounded to the nearest integer (halves round up, as Java's `Math.round`).
    fn rounded(&self, index: usize) -> Result<i64, Failure> {
        let Value::Number(number) = &self.values[index] else {
            return Err(self.wrong_type(index, "a number"));
        };
        if let Some(integer) = number.as_i64() {
            return Ok(integer);
        }
        let float = number.as_f64().unwrap_or(f64::NAN);
        let rounded = (float + 0.5).floor();
        if rounded.is_finite() && I64_AS_F64.contains(&rounded) {
            Ok(rounded as i64)
        } else {
            Err(self.fail(format_args!(
                "argument {} is out of range: {number}",
                index + 1
            )))
        }
    }

    /// A number rounded to an integer that must fit in a 32-bit signed integer.
    fn int32(&self, index: usize) -> Result<i32, Failure> {
        let value = self.rounded(index)?;
        i32::try_from(value).map_err(|_| {
            self.fail(format_args!(
                "argument {} must be between {} and {}, got {value}",
                index + 1,
                i32::MIN,
                i32::MAX
            ))
        })
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One piece of a `States.Format` template.
enum Piece {
    Text(String),
    Placeholder,
}

/// Splits a template (escapes intact) into text and `{}` placeholders. `\{`, `\}`, `\\` and `\'`
/// stand for the character; any other backslash is an error.
fn template_pieces(raw: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(next) = chars.next() {
        match next {
            '\\' => match chars.next() {
                Some(escaped @ ('\'' | '{' | '}' | '\\')) => text.push(escaped),
                Some(other) => {
                    return Err(format!(
                        "the template has an unmatched escape character before '{other}'"
                    ));
                }
                None => {
                    return Err("the template ends with an unmatched escape character".to_owned());
                }
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Placeholder);
            }
            other => text.push(other),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

fn format(call: &Args, template_arg: &Arg) -> Result<Value, Failure> {
    // A literal template is read with its escapes intact so that `\{}` is text, not a
    // placeholder. A template from a path or a nested call goes through the same escape rules,
    // which is where an unmatched backslash becomes a runtime failure (in a literal it is already
    // a parse error).
    let raw = match template_arg {
        Arg::Text { raw, .. } => raw.as_str(),
        _ => call.string(0)?,
    };
    let pieces = template_pieces(raw).map_err(|detail| call.fail(detail))?;
    let placeholders = pieces
        .iter()
        .filter(|piece| matches!(piece, Piece::Placeholder))
        .count();
    let arguments = &call.values[1..];
    if placeholders != arguments.len() {
        return Err(call.fail(format_args!(
            "the template has {placeholders} placeholders but {} arguments were given",
            arguments.len()
        )));
    }
    let mut output = String::new();
    let mut next_argument = arguments.iter();
    for piece in &pieces {
        match piece {
            Piece::Text(text) => output.push_str(text),
            Piece::Placeholder => {
                if let Some(argument) = next_argument.next() {
                    write_java_style(argument, &mut output);
                }
            }
        }
    }
    Ok(Value::String(output))
}

/// Writes a value as AWS's Format does (Java's `toString` of the parsed JSON): strings without
/// quotes, `[a, b]` for arrays, `{key=value, ...}` for objects.
fn write_java_style(value: &Value, output: &mut String) {
    match value {
        Value::String(text) => output.push_str(text),
        Value::Array(items) => {
            output.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    output.push_str(", ");
                }
                write_java_style(item, output);
            }
            output.push(']');
        }
        Value::Object(fields) => {
            output.push('{');
            for (index, (key, field)) in fields.iter().enumerate() {
                if index > 0 {
                    output.push_str(", ");
                }
                output.push_str(key);
                output.push('=');
                write_java_style(field, output);
            }
            output.push('}');
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => output.push_str(&value.to_string()),
    }
}

fn string_to_json(call: &Args) -> Result<Value, Failure> {
    let text = call.string(0)?;
    serde_json::from_str(text)
        .map_err(|error| call.fail(format_args!("the string is not valid JSON ({error})")))
}

fn array_partition(call: &Args) -> Result<Value, Failure> {
    let items = call.array(0)?;
    let size = call.rounded(1)?;
    let size = usize::try_from(size)
        .ok()
        .filter(|size| *size > 0)
        .ok_or_else(|| {
            call.fail(format_args!(
                "the chunk size must be greater than 0, got {size}"
            ))
        })?;
    Ok(Value::Array(
        items
            .chunks(size)
            .map(|chunk| Value::Array(chunk.to_vec()))
            .collect(),
    ))
}

fn array_range(call: &Args) -> Result<Value, Failure> {
    let start = i128::from(call.rounded(0)?);
    let end = i128::from(call.rounded(1)?);
    let step = i128::from(call.rounded(2)?);
    if step == 0 {
        return Err(call.fail("the step must not be 0"));
    }
    let count = if (step > 0 && start <= end) || (step < 0 && start >= end) {
        (end - start) / step + 1
    } else {
        0
    };
    if count > MAX_RANGE_ELEMENTS {
        return Err(call.fail(format_args!(
            "the range has {count} elements, more than the maximum of {MAX_RANGE_ELEMENTS}"
        )));
    }
    // `count` ≤ 1000 and each element lies between `start` and `end`, which came from i64.
    let elements = (0..count)
        .map(|index| Value::from(i64::try_from(start + index * step).unwrap_or_default()))
        .collect();
    Ok(Value::Array(elements))
}

fn array_get_item(call: &Args) -> Result<Value, Failure> {
    let items = call.array(0)?;
    let index = match &call.values[1] {
        Value::Number(number) => integer_value(number),
        _ => None,
    }
    .ok_or_else(|| call.wrong_type(1, "an integer"))?;
    usize::try_from(index)
        .ok()
        .and_then(|index| items.get(index))
        .cloned()
        .ok_or_else(|| {
            call.fail(format_args!(
                "the index {index} is out of bounds for an array of length {}",
                items.len()
            ))
        })
}

/// The integer a number denotes, if it is one (`2` and `2.0` are, `2.5` is not).
fn integer_value(number: &Number) -> Option<i64> {
    if let Some(integer) = number.as_i64() {
        return Some(integer);
    }
    let float = number.as_f64()?;
    let in_range = I64_AS_F64.contains(&float);
    (float.fract() == 0.0 && in_range).then_some(float as i64)
}

fn array_unique(items: &[Value]) -> Value {
    // Keyed by a canonical serialisation (object keys sorted) so that objects equal up to key
    // order count as duplicates, as `Value`'s equality says, without comparing every pair.
    let mut seen = HashSet::new();
    let unique = items
        .iter()
        .filter(|item| {
            let mut key = String::new();
            write_canonical(item, &mut key);
            seen.insert(key)
        })
        .cloned()
        .collect();
    Value::Array(unique)
}

fn write_canonical(value: &Value, output: &mut String) {
    match value {
        Value::Array(items) => {
            output.push('[');
            for item in items {
                write_canonical(item, output);
                output.push(',');
            }
            output.push(']');
        }
        Value::Object(fields) => {
            let mut sorted: Vec<_> = fields.iter().collect();
            sorted.sort_by(|left, right| left.0.cmp(right.0));
            output.push('{');
            for (key, field) in sorted {
                output.push_str(&Value::String(key.clone()).to_string());
                output.push(':');
                write_canonical(field, output);
                output.push(',');
            }
            output.push('}');
        }
        _ => output.push_str(&value.to_string()),
    }
}

fn base64_decode(call: &Args) -> Result<Value, Failure> {
    let text = call.limited_string(0)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|error| call.fail(format_args!("the input is not valid base64 ({error})")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| call.fail("the decoded bytes are not valid UTF-8"))
}

fn hash(call: &Args) -> Result<Value, Failure> {
    let data = call.limited_string(0)?.as_bytes();
    let algorithm = call.string(1)?;
    let digest = hex_digest(algorithm, data).ok_or_else(|| {
        call.fail(format_args!(
            "the hash algorithm '{algorithm}' is not supported (use MD5, SHA-1, SHA-256, SHA-384 or SHA-512)"
        ))
    })?;
    Ok(Value::String(digest))
}

/// The lowercase hex digest of `data` by one of the algorithms Step Functions offers (`MD5`,
/// `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`), for `States.Hash` and JSONata's `$hash`.
pub(crate) fn hex_digest(algorithm: &str, data: &[u8]) -> Option<String> {
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(data).to_vec(),
        "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-256" => sha2::Sha256::digest(data).to_vec(),
        "SHA-384" => sha2::Sha384::digest(data).to_vec(),
        "SHA-512" => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    };
    Some(digest.iter().map(|byte| format!("{byte:02x}")).collect())
}

fn json_merge(call: &Args) -> Result<Value, Failure> {
    let left = call.object(0)?;
    let right = call.object(1)?;
    if call.values[2] != Value::Bool(false) {
        return Err(call.fail("the third argument must be false (deep merge is not supported)"));
    }
    // Shallow: a key in both takes the right-hand value whole. Keys keep the left object's order,
    // with the right object's new keys after them.
    let mut merged = left.clone();
    for (key, value) in right {
        merged.insert(key.clone(), value.clone());
    }
    Ok(Value::Object(merged))
}

/// An integer in `[start, end)`. With a seed the result depends only on the seed and the range;
/// it is not the number AWS's Java generator would give for that seed.
fn math_random(call: &Args, resolver: &mut dyn Resolver) -> Result<Value, Failure> {
    let start = call.int32(0)?;
    let end = call.int32(1)?;
    if start >= end {
        return Err(call.fail(format_args!(
            "the start ({start}) must be less than the end ({end})"
        )));
    }
    let draw = match call.values.get(2) {
        Some(_) => {
            let mut state = call.rounded(2)?.cast_unsigned();
            splitmix64(&mut state)
        }
        None => resolver.entropy().next_u64(),
    };
    // The span is below 2^32, so the modulo bias against a 64-bit draw is negligible.
    let span = (i64::from(end) - i64::from(start)).unsigned_abs();
    let offset = i64::try_from(draw % span).unwrap_or_default();
    Ok(Value::from(i64::from(start) + offset))
}

fn string_split(call: &Args) -> Result<Value, Failure> {
    let text = call.string(0)?;
    let delimiters = call.string(1)?;
    let pieces = text
        .split(|next| delimiters.contains(next))
        .filter(|piece| !piece.is_empty())
        .map(|piece| Value::String(piece.to_owned()))
        .collect();
    Ok(Value::Array(pieces))
}
