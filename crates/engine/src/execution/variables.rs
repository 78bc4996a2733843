//! Workflow variables (`Assign`, aws-semantics.md §6.8), in both query languages.
//!
//! Each thread has a scope: the top level the workflow's, each Parallel branch and Map
//! iteration one of its own, which reads the scopes around it but may not assign a variable
//! one of them holds. A state's `Assign` is evaluated against the variables as they were before
//! the state (its `Output` does not see them either); the values are staged, and applied — and
//! recorded as `assignedVariables` in the state's exit event — when the state exits.
//!
//! A variable holds at most 256 KiB and the variables a thread sees (its scope and those around
//! it) 10 MiB, as AWS's quotas say;
//! past them the state fails with `States.DataLimitExceeded` (AWS's error for its other
//! payload limits; its name for this one is not recorded).
//!
//! In JSONPath, `Assign` is a payload template whose `$` is the state's result (Pass: its
//! `Result` or `Parameters`; Task, Parallel, Map: after `ResultSelector`), its effective input
//! for Choice and Wait, the error output for a catcher; `$$` is the Context object and `$name`
//! a variable. In JSONata, its `{% %}` expressions see `$states` and the variables as `$name`.

use asl::{Entropy, Failure};
use serde_json::{Map, Value};

use super::Execution;

/// The most a variable may hold, as JSON text (AWS's quota: 256 KiB).
const MAX_VARIABLE_BYTES: usize = 262_144;

/// The most all the variables of an execution may hold (AWS's quota: 10 MiB).
const MAX_VARIABLES_BYTES: usize = 10 * 1024 * 1024;

impl Execution {
    /// Whether `thread` sees any variable.
    pub(super) fn has_variables(&self, thread: usize) -> bool {
        let mut current = Some(thread);
        while let Some(index) = current {
            if !self.threads[index].variables.is_empty() {
                return true;
            }
            current = self.threads[index].parent.map(|(parent, _)| parent);
        }
        false
    }

    /// The scopes `thread` reads, outermost first.
    pub(super) fn scopes(&self, thread: usize) -> Vec<&Map<String, Value>> {
        let mut chain = vec![&self.threads[thread].variables];
        let mut current = self.threads[thread].parent;
        while let Some((parent, _)) = current {
            chain.push(&self.threads[parent].variables);
            current = self.threads[parent].parent;
        }
        chain.reverse();
        chain
    }

    /// The variables `thread` sees by name, the innermost scope winning (JSONata bindings).
    pub(super) fn visible_variables(&self, thread: usize) -> Vec<(&str, &Value)> {
        let mut seen: Vec<(&str, &Value)> = Vec::new();
        for scope in self.scopes(thread).into_iter().rev() {
            for (name, value) in scope {
                if !seen.iter().any(|(known, _)| *known == name.as_str()) {
                    seen.push((name.as_str(), value));
                }
            }
        }
        seen
    }

    /// Evaluates an `Assign` of the current state of `thread`: in JSONata (`states` given) over
    /// `$states`, in JSONPath as a template whose `$` is `document`.
    pub(super) fn evaluate_assign(
        &self,
        thread: usize,
        assign: &Value,
        document: &Value,
        states: Option<&super::jsonata::States<'_>>,
        entropy: &mut dyn Entropy,
    ) -> Result<Map<String, Value>, Failure> {
        let Value::Object(fields) = assign else {
            return Err(Failure::new(
                "States.Runtime",
                "The Assign field must be an object",
            ));
        };
        let mut assigned = Map::with_capacity(fields.len());
        match states {
            Some(states) => {
                for (name, value) in fields {
                    let value = self.jsonata_value(
                        thread,
                        value,
                        &format!("Assign/{name}"),
                        states,
                        entropy,
                    )?;
                    assigned.insert(name.clone(), value);
                }
            }
            None => {
                let template = asl::model::build_template(assign, "/Assign")
                    .map_err(|error| Failure::new("States.Runtime", error.to_string()))?;
                let value = self.with_env(thread, document, entropy, |env| {
                    asl::dataflow::evaluate_template(&template, env)
                })?;
                if let Value::Object(values) = value {
                    assigned = values;
                }
            }
        }
        Ok(assigned)
    }

    /// Stages `assigned` to be applied when the current state of `thread` exits. A name that
    /// an outer scope holds may not be assigned from inside a branch or an iteration.
    pub(super) fn stage_assign(
        &mut self,
        thread: usize,
        assigned: Map<String, Value>,
    ) -> Result<(), Failure> {
        let scopes = self.scopes(thread);
        let outer = &scopes[..scopes.len() - 1];
        if let Some(name) = assigned
            .keys()
            .find(|name| outer.iter().any(|scope| scope.contains_key(*name)))
        {
            return Err(Failure::new(
                "States.Runtime",
                format!(
                    "The variable '{name}' belongs to an outer scope: a Parallel branch or a Map \
                     iteration can read it but not assign it"
                ),
            ));
        }
        if assigned.is_empty() {
            // `"Assign": {}` assigns nothing, and AWS records nothing.
            return Ok(());
        }
        // AWS's quotas: 256 KiB a variable, 10 MiB for all of an execution's variables.
        let size = |value: &Value| value.to_string().len();
        for (name, value) in &assigned {
            let bytes = size(value);
            if bytes > MAX_VARIABLE_BYTES {
                return Err(Failure::new(
                    "States.DataLimitExceeded",
                    format!(
                        "The value assigned to the variable '{name}' is {bytes} bytes, more than \
                         the {MAX_VARIABLE_BYTES} bytes a variable may hold"
                    ),
                ));
            }
        }
        // What this thread's scopes hold (each scope keeps its size), less what the values
        // assigned replace, plus them.
        let mut held: usize = 0;
        let mut current = Some(thread);
        while let Some(index) = current {
            held += self.threads[index].variables_bytes;
            current = self.threads[index].parent.map(|(parent, _)| parent);
        }
        let scope = &self.threads[thread].variables;
        let replaced: usize = assigned
            .keys()
            .filter_map(|name| scope.get(name))
            .map(size)
            .sum();
        let held = held - replaced.min(held) + assigned.values().map(size).sum::<usize>();
        if held > MAX_VARIABLES_BYTES {
            return Err(Failure::new(
                "States.DataLimitExceeded",
                format!(
                    "The execution's variables would hold {held} bytes, more than the \
                     {MAX_VARIABLES_BYTES} bytes an execution may keep in variables"
                ),
            ));
        }
        let staged = self.threads[thread].staged.get_or_insert_with(Map::new);
        for (name, value) in assigned {
            staged.insert(name, value);
        }
        Ok(())
    }

    /// Applies what the state of `thread` staged; answers it as (name, JSON text) in order of
    /// name, for the exit event.
    pub(super) fn apply_staged(
        &mut self,
        thread: usize,
    ) -> Option<std::sync::Arc<[(String, String)]>> {
        let staged = self.threads[thread].staged.take()?;
        let t = &mut self.threads[thread];
        let mut recorded: Vec<(String, String)> = Vec::with_capacity(staged.len());
        for (name, value) in staged {
            let text = value.to_string();
            if let Some(old) = t.variables.insert(name.clone(), value) {
                t.variables_bytes -= old.to_string().len().min(t.variables_bytes);
            }
            t.variables_bytes += text.len();
            recorded.push((name, text));
        }
        recorded.sort();
        Some(recorded.into())
    }
}
