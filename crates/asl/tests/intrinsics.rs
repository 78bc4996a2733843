//! Tests of the `States.*` intrinsic functions through the public API: one-line checks per
//! function and per error, the recorded AWS executions of the LocalStack corpus, and a property
//! test that parsing and evaluating never panic.
//!
//! Everything sits in a module named `intrinsics` so that `cargo test -p asl intrinsics` selects
//! these tests along with the library's.

mod intrinsics {
    use std::collections::HashMap;

    use asl::intrinsics::{Call, Resolver, is_call};
    use asl::{Entropy, Failure, SeededEntropy};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// A resolver backed by a map from path text to value; a missing path fails as the engine's
    /// would.
    struct MapResolver {
        values: HashMap<String, Value>,
        entropy: SeededEntropy,
    }

    impl MapResolver {
        fn new(values: Value) -> MapResolver {
            let values = match values {
                Value::Object(fields) => fields.into_iter().collect(),
                _ => HashMap::new(),
            };
            MapResolver {
                values,
                entropy: SeededEntropy::new(7),
            }
        }
    }

    impl Resolver for MapResolver {
        fn resolve(&mut self, path: &str) -> Result<Value, Failure> {
            self.values
                .get(path)
                .cloned()
                .ok_or_else(|| Failure::new("States.Runtime", format!("path '{path}' not found")))
        }

        fn entropy(&mut self) -> &mut dyn Entropy {
            &mut self.entropy
        }
    }

    fn eval(call: &str, values: Value) -> Result<Value, Failure> {
        let parsed = Call::parse(call).unwrap_or_else(|error| panic!("{call}: {error}"));
        parsed.eval(&mut MapResolver::new(values))
    }

    /// Evaluates `call` with the given path values and expects `expected`.
    #[track_caller]
    fn check(call: &str, values: Value, expected: Value) {
        assert_eq!(eval(call, values), Ok(expected), "{call}");
    }

    /// Evaluates `call` and expects `States.IntrinsicFailure` whose cause contains `cause`.
    #[track_caller]
    fn check_fails(call: &str, values: Value, cause: &str) {
        match eval(call, values) {
            Err(failure) => {
                assert_eq!(
                    failure.error, "States.IntrinsicFailure",
                    "{call}: {failure:?}"
                );
                assert!(
                    failure.cause.contains(cause),
                    "{call}: cause {:?} lacks {cause:?}",
                    failure.cause
                );
            }
            Ok(value) => panic!("{call}: expected a failure, got {value}"),
        }
    }

    /// Expects `call` not to parse, with a message containing `message`.
    #[track_caller]
    fn check_parse_error(call: &str, message: &str) {
        match Call::parse(call) {
            Err(error) => assert!(
                error.message.contains(message),
                "{call}: message {:?} lacks {message:?}",
                error.message
            ),
            Ok(parsed) => panic!("{call}: expected a parse error, got {parsed:?}"),
        }
    }

    fn none() -> Value {
        json!({})
    }

    // Parsing.

    #[test]
    fn is_call_recognises_calls() {
        assert!(is_call("States.Array()"));
        assert!(is_call("  States.Format('x')"));
        assert!(!is_call("$.States"));
        assert!(!is_call("States"));
    }

    #[test]
    fn parse_keeps_source_and_paths() {
        let call =
            Call::parse("States.Format('{} {}', $.a, States.Array($$.Execution.Id, $var.x))")
                .unwrap();
        assert_eq!(
            call.source(),
            "States.Format('{} {}', $.a, States.Array($$.Execution.Id, $var.x))"
        );
        assert_eq!(call.paths(), vec!["$.a", "$$.Execution.Id", "$var.x"]);
    }

    #[test]
    fn parse_paths_with_brackets_and_filters() {
        let call = Call::parse("States.Array($['a,b'], $.x[?(@.y == 'p)q')].z , $[0])").unwrap();
        assert_eq!(
            call.paths(),
            vec!["$['a,b']", "$.x[?(@.y == 'p)q')].z", "$[0]"]
        );
    }

    #[test]
    fn parse_literals() {
        check(
            "States.Array('a', 1, -2.5, 1e2, true, false, null)",
            none(),
            json!(["a", 1, -2.5, 100.0, true, false, null]),
        );
        check("States.Array( 'x' ,  2 )", none(), json!(["x", 2]));
        check("States.Array('')", none(), json!([""]));
    }

    #[test]
    fn parse_escapes_in_string_literals() {
        check(
            r"States.Array('it\'s', '\{\}', 'a\\b')",
            none(),
            json!(["it's", "{}", r"a\b"]),
        );
        check(
            "States.StringSplit('Hello\nWorld', '\n')",
            none(),
            json!(["Hello", "World"]),
        );
    }

    #[test]
    fn parse_errors() {
        check_parse_error("States.Nope()", "unknown intrinsic function 'States.Nope'");
        check_parse_error("States.uuid()", "unknown intrinsic function");
        check_parse_error("States.UUID(1)", "'States.UUID' takes 0 arguments, got 1");
        check_parse_error(
            "States.ArrayLength()",
            "'States.ArrayLength' takes 1 argument, got 0",
        );
        check_parse_error("States.MathRandom(1)", "takes 2 to 3 arguments");
        check_parse_error("States.Format()", "takes at least 1 argument");
        check_parse_error("States.JsonMerge($.a, $.b, true)", "must be false");
        check_parse_error("States.Array('abc", "unterminated string literal");
        check_parse_error(r"States.Array('a\')", "unterminated string literal");
        check_parse_error(
            r#"States.StringToJson('{"t":"An \"x\" here"}')"#,
            "invalid escape sequence",
        );
        check_parse_error(r"States.Array('a\nb')", "invalid escape sequence '\\n'");
        check_parse_error("States.Array(1 2)", "expected ',' or ')'");
        check_parse_error("States.Array(1,)", "expected an argument");
        check_parse_error("States.Array(1", "missing ')'");
        check_parse_error("States.Array(1) x", "unexpected text after the call");
        check_parse_error("States.Array(nul)", "unexpected argument 'nul'");
        check_parse_error("States.Array(1.2.3)", "invalid number");
        check_parse_error("States.Array(\"a\")", "expected an argument");
        check_parse_error("States.Array", "expected '('");
        check_parse_error("$.a", "expected an intrinsic function call");
    }

    #[test]
    fn nesting_is_limited_to_ten() {
        let nested =
            |depth: usize| format!("{}1{}", "States.Array(".repeat(depth), ")".repeat(depth));
        assert!(Call::parse(&nested(10)).is_ok());
        check_parse_error(&nested(11), "nest more than 10 deep");
    }

    #[test]
    fn resolver_failures_propagate() {
        let failure = eval("States.ArrayLength($.missing)", none()).unwrap_err();
        assert_eq!(
            failure,
            Failure::new("States.Runtime", "path '$.missing' not found")
        );
    }

    // States.Format.

    #[test]
    fn format() {
        check(
            "States.Format('Hello, {}!', $.name)",
            json!({"$.name": "World"}),
            json!("Hello, World!"),
        );
        check(
            "States.Format('no placeholders')",
            none(),
            json!("no placeholders"),
        );
        check("States.Format('{}{}', 1, 1.5)", none(), json!("11.5"));
        check(
            "States.Format('{} {} {}', null, true, false)",
            none(),
            json!("null true false"),
        );
        check(
            "States.Format('{}', $.o)",
            json!({"$.o": {"Arg1": 1, "Arg2": []}}),
            json!("{Arg1=1, Arg2=[]}"),
        );
        check(
            "States.Format('{}', $.a)",
            json!({"$.a": [1, "x", {"k": null}]}),
            json!("[1, x, {k=null}]"),
        );
        check(
            r"States.Format('\{\} {} \\ \'', 'x')",
            none(),
            json!(r"{} x \ '"),
        );
        check("States.Format('{ } {x} }{')", none(), json!("{ } {x} }{"));
        check(
            "States.Format($.t, 'a')",
            json!({"$.t": "<{}>"}),
            json!("<a>"),
        );
        check(
            "States.Format('{}', States.Array(1, 2))",
            none(),
            json!("[1, 2]"),
        );
    }

    #[test]
    fn format_errors() {
        check_fails(
            "States.Format('{} {}', 'a')",
            none(),
            "the template has 2 placeholders but 1 arguments were given",
        );
        check_fails(
            "States.Format('{}', 'a', 'b')",
            none(),
            "1 placeholders but 2 arguments",
        );
        check_fails(
            "States.Format($.t)",
            json!({"$.t": 5}),
            "argument 1 must be a string, got a number",
        );
        check_fails(
            "States.Format($.t)",
            json!({"$.t": "a\\b"}),
            "unmatched escape character before 'b'",
        );
        check_fails(
            "States.Format($.t)",
            json!({"$.t": "a\\"}),
            "ends with an unmatched escape character",
        );
    }

    // JSON functions.

    #[test]
    fn string_to_json() {
        check(
            "States.StringToJson($.s)",
            json!({"$.s": "{\"a\":[1,2.5,null]}"}),
            json!({"a": [1, 2.5, null]}),
        );
        check(
            "States.StringToJson('{\"k\": \"v\"}')",
            none(),
            json!({"k": "v"}),
        );
        check("States.StringToJson(' 12 ')", none(), json!(12));
    }

    #[test]
    fn string_to_json_errors() {
        check_fails(
            "States.StringToJson('{')",
            none(),
            "the string is not valid JSON",
        );
        check_fails("States.StringToJson('')", none(), "not valid JSON");
        check_fails(
            "States.StringToJson($.o)",
            json!({"$.o": {}}),
            "argument 1 must be a string, got an object",
        );
    }

    #[test]
    fn json_to_string() {
        check(
            "States.JsonToString($.o)",
            json!({"$.o": {"Arg1": 1, "Arg2": [], "s": "q\""}}),
            json!(r#"{"Arg1":1,"Arg2":[],"s":"q\""}"#),
        );
        check("States.JsonToString('Hello')", none(), json!("\"Hello\""));
        check("States.JsonToString(1.1)", none(), json!("1.1"));
        check("States.JsonToString(null)", none(), json!("null"));
    }

    #[test]
    fn json_merge() {
        check(
            "States.JsonMerge($.a, $.b, false)",
            json!({"$.a": {"x": {"p": 1}, "y": 2}, "$.b": {"x": {"q": 3}, "z": 4}}),
            json!({"x": {"q": 3}, "y": 2, "z": 4}),
        );
        check(
            "States.JsonMerge($.a, $.b, $.f)",
            json!({"$.a": {}, "$.b": {"k": 1}, "$.f": false}),
            json!({"k": 1}),
        );
    }

    #[test]
    fn json_merge_errors() {
        check_fails(
            "States.JsonMerge($.a, $.b, false)",
            json!({"$.a": [], "$.b": {}}),
            "argument 1 must be an object, got an array",
        );
        check_fails(
            "States.JsonMerge($.a, $.b, false)",
            json!({"$.a": {}, "$.b": "x"}),
            "argument 2 must be an object, got a string",
        );
        check_fails(
            "States.JsonMerge($.a, $.b, $.f)",
            json!({"$.a": {}, "$.b": {}, "$.f": true}),
            "the third argument must be false",
        );
    }

    // Arrays.

    #[test]
    fn array() {
        check("States.Array()", none(), json!([]));
        check(
            "States.Array($.a, $.b)",
            json!({"$.a": {"k": []}, "$.b": null}),
            json!([{"k": []}, null]),
        );
    }

    #[test]
    fn array_partition() {
        check(
            "States.ArrayPartition($.a, 2)",
            json!({"$.a": [1, 2, 3, 4, 5]}),
            json!([[1, 2], [3, 4], [5]]),
        );
        check(
            "States.ArrayPartition($.a, 9)",
            json!({"$.a": [1, 2]}),
            json!([[1, 2]]),
        );
        check(
            "States.ArrayPartition($.a, 1)",
            json!({"$.a": []}),
            json!([]),
        );
        check(
            "States.ArrayPartition($.a, 1.6)",
            json!({"$.a": [1, 2, 3]}),
            json!([[1, 2], [3]]),
        );
    }

    #[test]
    fn array_partition_errors() {
        check_fails(
            "States.ArrayPartition($.a, 0)",
            json!({"$.a": [1]}),
            "the chunk size must be greater than 0, got 0",
        );
        check_fails(
            "States.ArrayPartition($.a, -3)",
            json!({"$.a": [1]}),
            "greater than 0",
        );
        check_fails(
            "States.ArrayPartition('x', 1)",
            none(),
            "argument 1 must be an array, got a string",
        );
        check_fails(
            "States.ArrayPartition($.a, 'x')",
            json!({"$.a": [1]}),
            "argument 2 must be a number, got a string",
        );
    }

    #[test]
    fn array_contains() {
        check(
            "States.ArrayContains($.a, 3)",
            json!({"$.a": [1, 2, 3]}),
            json!(true),
        );
        check(
            "States.ArrayContains($.a, 'x')",
            json!({"$.a": [1, 2, 3]}),
            json!(false),
        );
        check(
            "States.ArrayContains($.a, $.v)",
            json!({"$.a": [{"b": 1, "a": 2}], "$.v": {"a": 2, "b": 1}}),
            json!(true),
        );
        check_fails(
            "States.ArrayContains($.a, 1)",
            json!({"$.a": {"x": 1}}),
            "argument 1 must be an array, got an object",
        );
    }

    #[test]
    fn array_range() {
        check("States.ArrayRange(1, 9, 2)", none(), json!([1, 3, 5, 7, 9]));
        check("States.ArrayRange(0, 10, 3)", none(), json!([0, 3, 6, 9]));
        check("States.ArrayRange(5, 1, -2)", none(), json!([5, 3, 1]));
        check("States.ArrayRange(1, 1, 5)", none(), json!([1]));
        check("States.ArrayRange(5, 1, 1)", none(), json!([]));
        check("States.ArrayRange(0.6, 2.4, 1)", none(), json!([1, 2]));
        check(
            "States.ArrayLength(States.ArrayRange(1, 1000, 1))",
            none(),
            json!(1000),
        );
    }

    #[test]
    fn array_range_errors() {
        check_fails(
            "States.ArrayRange(1, 9, 0)",
            none(),
            "the step must not be 0",
        );
        check_fails(
            "States.ArrayRange(0, 1000, 1)",
            none(),
            "the range has 1001 elements, more than the maximum of 1000",
        );
        check_fails(
            "States.ArrayRange('a', 1, 1)",
            none(),
            "argument 1 must be a number, got a string",
        );
        check_fails(
            "States.ArrayRange(1e300, 1, 1)",
            none(),
            "argument 1 is out of range",
        );
    }

    #[test]
    fn array_get_item() {
        check(
            "States.ArrayGetItem($.a, 1)",
            json!({"$.a": ["x", "y"]}),
            json!("y"),
        );
        check(
            "States.ArrayGetItem($.a, 0.0)",
            json!({"$.a": [[1]]}),
            json!([1]),
        );
    }

    #[test]
    fn array_get_item_errors() {
        check_fails(
            "States.ArrayGetItem($.a, 2)",
            json!({"$.a": [1, 2]}),
            "the index 2 is out of bounds for an array of length 2",
        );
        check_fails(
            "States.ArrayGetItem($.a, -1)",
            json!({"$.a": [1, 2]}),
            "the index -1 is out of bounds",
        );
        check_fails(
            "States.ArrayGetItem($.a, 0.5)",
            json!({"$.a": [1, 2]}),
            "argument 2 must be an integer, got a number",
        );
        check_fails(
            "States.ArrayGetItem($.a, '0')",
            json!({"$.a": [1]}),
            "argument 2 must be an integer, got a string",
        );
        check_fails(
            "States.ArrayGetItem(null, 0)",
            none(),
            "argument 1 must be an array, got null",
        );
    }

    #[test]
    fn array_length() {
        check(
            "States.ArrayLength($.a)",
            json!({"$.a": [1, 2, 3]}),
            json!(3),
        );
        check("States.ArrayLength(States.Array())", none(), json!(0));
        check_fails(
            "States.ArrayLength('abc')",
            none(),
            "argument 1 must be an array, got a string",
        );
    }

    #[test]
    fn array_unique() {
        check(
            "States.ArrayUnique($.a)",
            json!({"$.a": [1, 2, 1, "1", null, null, [1], [1], {"a": 1, "b": 2}, {"b": 2, "a": 1}, true, 1.5, 1.5]}),
            json!([1, 2, "1", null, [1], {"a": 1, "b": 2}, true, 1.5]),
        );
        check("States.ArrayUnique($.a)", json!({"$.a": []}), json!([]));
        check_fails(
            "States.ArrayUnique(1)",
            none(),
            "argument 1 must be an array, got a number",
        );
    }

    // Encoding and hashing.

    #[test]
    fn base64() {
        check(
            "States.Base64Encode('Data to encode')",
            none(),
            json!("RGF0YSB0byBlbmNvZGU="),
        );
        check("States.Base64Encode('é')", none(), json!("w6k="));
        check(
            "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')",
            none(),
            json!("Data to encode"),
        );
        check("States.Base64Decode('')", none(), json!(""));
    }

    #[test]
    fn base64_errors() {
        let long = "a".repeat(10_001);
        check(
            "States.ArrayLength(States.Array(States.Base64Encode($.s)))",
            json!({"$.s": "a".repeat(10_000)}),
            json!(1),
        );
        check_fails(
            "States.Base64Encode($.s)",
            json!({"$.s": long}),
            "the input string has 10001 characters, more than the maximum of 10000",
        );
        check_fails(
            "States.Base64Decode($.s)",
            json!({"$.s": long}),
            "more than the maximum of 10000",
        );
        check_fails(
            "States.Base64Encode(1)",
            none(),
            "argument 1 must be a string, got a number",
        );
        check_fails(
            "States.Base64Decode('***')",
            none(),
            "the input is not valid base64",
        );
        check_fails(
            "States.Base64Decode('/w==')",
            none(),
            "the decoded bytes are not valid UTF-8",
        );
    }

    #[test]
    fn hash() {
        check(
            "States.Hash('input data', 'MD5')",
            none(),
            json!("812f45842bc6d66ee14572ce20db8e86"),
        );
        check(
            "States.Hash('input data', 'SHA-1')",
            none(),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7"),
        );
        check(
            "States.Hash('input data', 'SHA-256')",
            none(),
            json!("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"),
        );
        check(
            "States.Hash('', 'MD5')",
            none(),
            json!("d41d8cd98f00b204e9800998ecf8427e"),
        );
    }

    #[test]
    fn hash_errors() {
        check_fails(
            "States.Hash('x', 'SHA256')",
            none(),
            "the hash algorithm 'SHA256' is not supported",
        );
        check_fails("States.Hash('x', 'md5')", none(), "not supported");
        check_fails(
            "States.Hash($.s, 'MD5')",
            json!({"$.s": "a".repeat(10_001)}),
            "more than the maximum of 10000",
        );
        check_fails(
            "States.Hash(1, 'MD5')",
            none(),
            "argument 1 must be a string, got a number",
        );
        check_fails(
            "States.Hash('x', 1)",
            none(),
            "argument 2 must be a string, got a number",
        );
    }

    // Math.

    #[test]
    fn math_add() {
        check("States.MathAdd(1, -1)", none(), json!(0));
        check("States.MathAdd($.a, 2)", json!({"$.a": 40}), json!(42));
        check("States.MathAdd(1.5, 1.4)", none(), json!(3));
        check(
            "States.MathAdd(2147483647, 2147483647)",
            none(),
            json!(4_294_967_294_i64),
        );
    }

    #[test]
    fn math_add_errors() {
        check_fails(
            "States.MathAdd(2147483648, 1)",
            none(),
            "argument 1 must be between -2147483648 and 2147483647, got 2147483648",
        );
        check_fails(
            "States.MathAdd(1, -2147483649)",
            none(),
            "argument 2 must be between",
        );
        check_fails(
            "States.MathAdd('1', 1)",
            none(),
            "argument 1 must be a number, got a string",
        );
    }

    #[test]
    fn math_random() {
        for _ in 0..3 {
            let value = eval("States.MathRandom(12.5, 44.51)", none()).unwrap();
            let value = value.as_i64().unwrap();
            assert!((13..45).contains(&value), "{value}");
        }
        check("States.MathRandom(5, 6)", none(), json!(5));
        check("States.MathRandom(-3, -2, 99)", none(), json!(-3));
        // Seeded calls are deterministic (but differ from AWS's Java generator).
        let first = eval("States.MathRandom(0, 999, 3)", none()).unwrap();
        assert_eq!(eval("States.MathRandom(0, 999, 3)", none()).unwrap(), first);
        assert!((0..999).contains(&first.as_i64().unwrap()));
    }

    #[test]
    fn math_random_errors() {
        check_fails(
            "States.MathRandom(5, 5)",
            none(),
            "the start (5) must be less than the end (5)",
        );
        check_fails(
            "States.MathRandom(0, 3000000000)",
            none(),
            "argument 2 must be between",
        );
        check_fails(
            "States.MathRandom(0, 1, 'x')",
            none(),
            "argument 3 must be a number, got a string",
        );
    }

    // Strings and identifiers.

    #[test]
    fn string_split() {
        check(
            "States.StringSplit('1,2,3', ',')",
            none(),
            json!(["1", "2", "3"]),
        );
        check("States.StringSplit(',,a,,', ',')", none(), json!(["a"]));
        check(
            "States.StringSplit('This.is+a,test=string', '.+,=')",
            none(),
            json!(["This", "is", "a", "test", "string"]),
        );
        check("States.StringSplit('abc', '')", none(), json!(["abc"]));
        check("States.StringSplit('', ',')", none(), json!([]));
        check("States.StringSplit('a→b', '→')", none(), json!(["a", "b"]));
    }

    #[test]
    fn string_split_errors() {
        check_fails(
            "States.StringSplit(1, ',')",
            none(),
            "argument 1 must be a string, got a number",
        );
        check_fails(
            "States.StringSplit('a', null)",
            none(),
            "argument 2 must be a string, got null",
        );
    }

    #[test]
    fn uuid() {
        let value = eval("States.UUID()", none()).unwrap();
        let text = value.as_str().unwrap();
        assert_eq!(text.len(), 36);
        assert_eq!(&text[14..15], "4");
        assert_ne!(
            eval("States.UUID()", none()),
            eval("States.Array(States.UUID())", none())
        );
    }

    #[test]
    fn uuid_text_is_canonical() {
        let bytes = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        // Version 4 in byte 6, the RFC 4122 variant in byte 8.
        assert_eq!(
            asl::uuid_v4_text(bytes),
            "00112233-4455-4677-8899-aabbccddeeff"
        );
        assert_eq!(
            asl::uuid_v4_text([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
    }

    #[test]
    fn nested_calls() {
        check(
            "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))",
            json!({"$$.StateMachine.Name": "my-state-machine"}),
            json!("machine"),
        );
        check(
            "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit($.arn, '/'), 1), 'x')",
            json!({"$.arn": "a/b/c"}),
            json!("b.x"),
        );
    }

    // The LocalStack corpus: AWS's recorded executions of one-state machines whose Parameters hold a
    // single intrinsic call.

    const CORPUS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/localstack"
    );

    /// The first `"key.$": "value"` of a template: the key without `.$`, and the call.
    fn template_call(template: &str) -> (String, String) {
        let marker = template.find(".$\"").expect("a .$ field");
        let key_start = template[..marker].rfind('"').expect("a key") + 1;
        let key = template[key_start..marker].to_owned();
        let after = &template[marker + 3..];
        let value_start = after.find('"').expect("a value");
        let mut strings =
            serde_json::Deserializer::from_str(&after[value_start..]).into_iter::<String>();
        let call = strings.next().expect("a string").expect("a JSON string");
        (key, call)
    }

    /// Resolves simple dotted paths against the execution input (`$`) and a Context object (`$$`)
    /// with the placeholders LocalStack's snapshots use for names and ARNs.
    struct CorpusResolver {
        input: Value,
        context: Value,
        entropy: SeededEntropy,
    }

    impl Resolver for CorpusResolver {
        fn resolve(&mut self, path: &str) -> Result<Value, Failure> {
            let (mut current, rest) = match path.strip_prefix("$$") {
                Some(rest) => (&self.context, rest),
                None => (&self.input, &path[1..]),
            };
            for field in rest.split('.').filter(|field| !field.is_empty()) {
                current = current.get(field).ok_or_else(|| {
                    Failure::new("States.Runtime", format!("path '{path}' not found"))
                })?;
            }
            Ok(current.clone())
        }

        fn entropy(&mut self) -> &mut dyn Entropy {
            &mut self.entropy
        }
    }

    #[test]
    fn localstack_recorded_executions() {
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{CORPUS}/manifest.json"))
                .expect("the corpus manifest"),
        )
        .unwrap();
        let mut checked = 0;
        for entry in manifest["entries"].as_array().unwrap() {
            let key = entry["key"].as_str().unwrap();
            if !key.contains("/intrinsic_functions/") || key.contains("jsonata") {
                continue;
            }
            let template_path = entry["templates"][0].as_str().unwrap();
            let template = std::fs::read_to_string(format!("{CORPUS}/{template_path}")).unwrap();
            let (field, source) = template_call(&template);
            let call = Call::parse(&source).unwrap_or_else(|error| panic!("{key}: {error}"));
            for execution in entry["executions"].as_array().unwrap() {
                let input = execution["input"].clone();
                let mut resolver = CorpusResolver {
                    context: json!({
                        "Execution": {"Name": "<ExecArnPart_0idx>", "Input": input},
                        "StateMachine": {
                            "Id": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
                            "Name": "<ArnPart_0idx>",
                        },
                    }),
                    input,
                    entropy: SeededEntropy::new(1),
                };
                assert_eq!(execution["status"], "SUCCEEDED", "{key}");
                let result = call
                    .eval(&mut resolver)
                    .unwrap_or_else(|failure| panic!("{key}: {failure:?}"));
                let output = &execution["output"];
                let expected = output.get(&field).unwrap_or(output);
                if expected == "RandomNumberGenerated" {
                    assert!(result.is_i64(), "{key}: {result}");
                } else {
                    assert_eq!(&result, expected, "{key} with input {}", execution["input"]);
                }
                checked += 1;
            }
        }
        assert!(checked >= 90, "only {checked} recorded executions checked");
    }

    #[test]
    fn localstack_illegal_escapes_do_not_parse() {
        for name in [
            "escape_sequences_illegal_intrinsic_function",
            "escape_sequences_illegal_intrinsic_function_2",
        ] {
            let path = format!(
                "{CORPUS}/tests/aws/services/stepfunctions/templates/scenarios/statemachines/{name}.json5"
            );
            let (_, source) = template_call(&std::fs::read_to_string(path).unwrap());
            assert!(Call::parse(&source).is_err(), "{source}");
        }
    }

    // Robustness.

    /// Gives every path the same value, so evaluation reaches every function's checks.
    struct ConstantResolver(Value, SeededEntropy);

    impl Resolver for ConstantResolver {
        fn resolve(&mut self, _path: &str) -> Result<Value, Failure> {
            Ok(self.0.clone())
        }

        fn entropy(&mut self) -> &mut dyn Entropy {
            &mut self.1
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[a-c]", inner), 0..4)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in ".{0,64}") {
            let _ = Call::parse(&text);
        }

        #[test]
        fn parse_and_eval_never_panic(
            name in "(Format|StringToJson|JsonToString|Array|ArrayPartition|ArrayContains|ArrayRange|ArrayGetItem|ArrayLength|ArrayUnique|Base64Encode|Base64Decode|Hash|JsonMerge|MathRandom|MathAdd|StringSplit|UUID|Nope)",
            args in prop::collection::vec(r"(\$\.a|'[a-z{}\\ ]{0,6}'|-?[0-9]{1,12}(\.[0-9])?|true|false|null|States\.Array\(\$\.b\)|\$\[[',()]{0,3}\]|[ ,()'\\]{0,3})", 0..4),
            value in json_value(),
        ) {
            let text = format!("States.{name}({})", args.join(", "));
            if let Ok(call) = Call::parse(&text) {
                let _ = call.eval(&mut ConstantResolver(value, SeededEntropy::new(3)));
            }
        }
    }
}
