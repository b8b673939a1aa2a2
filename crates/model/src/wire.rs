//! The JSON of `POST /v1/chat/completions` as OpenAI defines it and Workers AI's
//! OpenAI-compatible endpoint (among other providers) speaks it: the request with its tools,
//! the whole answer, and one chunk of a streamed answer. Field names are OpenAI's exactly;
//! fields this crate does not model are ignored when reading, so providers' extras do no harm.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The body of a chat-completions request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    /// Some providers reject an empty `tools` array, so none is sent rather than `[]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// Asks a streaming server for a last chunk carrying the token counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// One turn of the conversation. An assistant turn that calls tools has `tool_calls` (and
/// usually no content); the answer to each call is a `tool` turn naming its `tool_call_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Message {
    fn text(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(content.into()),
            tool_calls: None,
            tool_call_id: None,
            name: None,
        }
    }

    pub fn system(content: impl Into<String>) -> Self {
        Self::text(Role::System, content)
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self::text(Role::User, content)
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self::text(Role::Assistant, content)
    }

    /// The assistant's turn that asked for these calls, to replay before their results.
    pub fn assistant_calls(calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            content: None,
            tool_calls: Some(calls),
            tool_call_id: None,
            name: None,
        }
    }

    /// The result of the call `tool_call_id`, as the model reads it.
    pub fn tool_result(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            tool_call_id: Some(tool_call_id.into()),
            ..Self::text(Role::Tool, content)
        }
    }
}

/// The only kind of tool (and tool call) the API has: `"type": "function"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FunctionKind {
    #[default]
    #[serde(rename = "function")]
    Function,
}

/// A tool the model may call: its name, what it does, and a JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type", default)]
    pub kind: FunctionKind,
    pub function: FunctionSpec,
}

impl Tool {
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
    ) -> Self {
        Self {
            kind: FunctionKind::Function,
            function: FunctionSpec {
                name: name.into(),
                description: description.into(),
                parameters,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parameters: Value,
}

/// `"none"`, `"auto"`, `"required"`, or one named function the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(ToolMode),
    Named {
        #[serde(rename = "type", default)]
        kind: FunctionKind,
        function: NamedFunction,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolMode {
    None,
    Auto,
    Required,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedFunction {
    pub name: String,
}

/// A call the model asked for. `arguments` is JSON text the model wrote, not yet checked:
/// the worker parses and validates it like any outside input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Some providers leave it out; the stream decoder then names the call `call_<index>`.
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: FunctionKind,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: String,
}

/// The whole answer of a request with `"stream": false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub index: u32,
    pub message: Message,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: u32,
    #[serde(default)]
    pub completion_tokens: u32,
    #[serde(default)]
    pub total_tokens: u32,
}

/// One `data:` event of a streamed answer (`"stream": true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Only on the last chunk, and only when `stream_options.include_usage` was asked for;
    /// OpenAI sends `null` on the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    #[serde(default)]
    pub index: u32,
    #[serde(default)]
    pub delta: Delta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

/// A fragment of tool call `index`: the first usually carries the id and name, the next
/// ones pieces of the arguments' text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    #[serde(default)]
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FunctionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDelta>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_with_tools_serializes_with_openais_field_names() {
        let request = ChatRequest {
            model: "@cf/meta/llama-3.3-70b-instruct-fp8-fast".into(),
            messages: vec![Message::system("Be brief."), Message::user("Hours?")],
            tools: vec![Tool::function(
                "get_hours",
                "The business's hours",
                json!({"type": "object"}),
            )],
            tool_choice: Some(ToolChoice::Mode(ToolMode::Auto)),
            stream: true,
            max_tokens: Some(512),
            temperature: None,
            stream_options: Some(StreamOptions {
                include_usage: true,
            }),
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({
                "model": "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hours?"}
                ],
                "tools": [{"type": "function", "function": {
                    "name": "get_hours", "description": "The business's hours",
                    "parameters": {"type": "object"}
                }}],
                "tool_choice": "auto",
                "stream": true,
                "max_tokens": 512,
                "stream_options": {"include_usage": true}
            })
        );
    }

    #[test]
    fn a_request_without_tools_sends_no_tools_field() {
        let request = ChatRequest {
            model: "m".into(),
            messages: vec![],
            tools: vec![],
            tool_choice: None,
            stream: false,
            max_tokens: None,
            temperature: None,
            stream_options: None,
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"model": "m", "messages": [], "stream": false})
        );
    }

    #[test]
    fn a_named_tool_choice_serializes_as_an_object() {
        let choice = ToolChoice::Named {
            kind: FunctionKind::Function,
            function: NamedFunction {
                name: "get_hours".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&choice).unwrap(),
            json!({"type": "function", "function": {"name": "get_hours"}})
        );
    }

    #[test]
    fn a_tool_result_names_its_call() {
        assert_eq!(
            serde_json::to_value(Message::tool_result("call_1", "{\"open\":true}")).unwrap(),
            json!({"role": "tool", "content": "{\"open\":true}", "tool_call_id": "call_1"})
        );
    }

    #[test]
    fn a_whole_answer_with_a_tool_call_and_unknown_fields_parses() {
        let body = r#"{
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "system_fingerprint": null,
            "choices": [{"index": 0, "logprobs": null, "finish_reason": "tool_calls",
                "message": {"role": "assistant", "content": null, "refusal": null,
                    "tool_calls": [{"id": "call_a", "type": "function",
                        "function": {"name": "get_hours", "arguments": "{\"day\":\"mon\"}"}}]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                "prompt_tokens_details": {"cached_tokens": 0}}
        }"#;
        let response: ChatResponse = serde_json::from_str(body).unwrap();
        let choice = &response.choices[0];
        assert_eq!(choice.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(choice.message.content, None);
        let call = &choice.message.tool_calls.as_ref().unwrap()[0];
        assert_eq!(
            (call.id.as_str(), call.function.name.as_str()),
            ("call_a", "get_hours")
        );
        assert_eq!(call.function.arguments, "{\"day\":\"mon\"}");
        assert_eq!(
            response.usage,
            Some(Usage {
                prompt_tokens: 10,
                completion_tokens: 5,
                total_tokens: 15
            })
        );
    }

    #[test]
    fn a_chunk_with_null_usage_parses() {
        let chunk: ChatChunk = serde_json::from_str(
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,
                "delta":{"content":"Hi"},"finish_reason":null}],"usage":null}"#,
        )
        .unwrap();
        assert_eq!(chunk.choices[0].delta.content.as_deref(), Some("Hi"));
        assert_eq!(chunk.usage, None);
    }
}
