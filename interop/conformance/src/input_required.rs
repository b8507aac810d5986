//! The multi-round-trip fixtures of the 2026-07-28 revision (the suite's
//! `input-required-result-*` scenarios): tools and a prompt that need the client's input
//! before they can answer.
//!
//! Each asks through [`Context::ask_input`] under the exact key the suite expects. On a
//! 2026-07-28 request a missing answer makes the server reply `input_required` (with a sealed
//! `requestState`), and the client's retry runs the handler again with the answer; on a
//! legacy session the same call is a server-to-client request answered at once.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use spate::server::{Args, Context, ContextError, PromptEntry, Server, ToolEntry, ToolError};
use spate_protocol::{
    ContentBlock, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, ElicitationSchema, GetPromptResult, InputRequest, ListRootsResult, Prompt,
    PromptMessage, RequestParams, Role, SamplingMessage,
};

use crate::schema::{NoArgs, no_args, tool};

/// Registers the tools and the prompt.
pub fn register(server: Server) -> Server {
    let tools = [
        entry(
            "test_input_required_result_elicitation",
            "Asks the user's name (elicitation, key user_name), then greets them",
            elicitation,
        ),
        entry(
            "test_input_required_result_sampling",
            "Asks the model for the capital of France (sampling), then reports it",
            sampling,
        ),
        entry(
            "test_input_required_result_list_roots",
            "Asks for the client's roots, then counts them",
            list_roots,
        ),
        entry(
            "test_input_required_result_request_state",
            "Asks for a confirmation and keeps server state in requestState",
            request_state,
        ),
        entry(
            "test_input_required_result_multiple_inputs",
            "Asks for a name, a greeting from the model and the roots in one round",
            multiple_inputs,
        ),
        entry(
            "test_input_required_result_multi_round",
            "Asks two questions in two rounds: a name, then a favourite colour",
            multi_round,
        ),
        entry(
            "test_input_required_result_tampered_state",
            "Asks for a confirmation with an integrity-protected requestState",
            confirm_only,
        ),
        entry(
            "test_input_required_result_capabilities",
            "Asks only for what the client declared it can answer",
            capabilities,
        ),
    ];
    let server = tools.into_iter().fold(server, Server::tool_entry);
    server.prompt(PromptEntry::new(
        Prompt {
            name: "test_input_required_result_prompt".into(),
            description: Some("A prompt that first asks the user for context".into()),
            ..Prompt::default()
        },
        |ctx: Context| async move {
            let answer: ElicitResult = ask(
                &ctx,
                "user_context",
                elicit("What context should the prompt use?", "context"),
            )
            .await?;
            let context = field(&answer, "context");
            Ok(GetPromptResult {
                messages: vec![PromptMessage {
                    role: Role::User,
                    content: ContentBlock::text(format!("Prompt with context: {context}")),
                }],
                ..GetPromptResult::default()
            })
        },
    ))
}

type Outcome = Result<String, ContextError>;

fn entry<F, Fut>(name: &str, description: &str, handler: F) -> ToolEntry
where
    F: Fn(Context) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = Outcome> + Send + 'static,
{
    ToolEntry::with_tool(
        tool(name, description, no_args()),
        move |ctx: Context, Args(NoArgs {}): Args<NoArgs>| {
            let handler = handler.clone();
            async move { handler(ctx).await.map_err(ToolError::from) }
        },
    )
}

/// Asks under `key` and reads the answer as `T`.
async fn ask<T: DeserializeOwned>(
    ctx: &Context,
    key: &str,
    request: InputRequest,
) -> Result<T, ContextError> {
    let answer = ctx.ask_input(key, request).await?;
    serde_json::from_value(answer).map_err(|e| {
        ContextError::Peer(spate::engine::PeerError::Malformed(format!(
            "the answer to {key:?} is not what was asked: {e}"
        )))
    })
}

/// A form asking for one required string property.
fn elicit(message: &str, property: &str) -> InputRequest {
    schema_form(
        message,
        json!({"type": "object", "properties": {property: {"type": "string"}}, "required": [property]}),
    )
}

fn schema_form(message: &str, schema: Value) -> InputRequest {
    let schema: ElicitationSchema =
        serde_json::from_value(schema).expect("the fixture schemas are valid forms");
    InputRequest::Elicit {
        params: ElicitRequestParams::form(message.to_owned(), schema),
    }
}

fn confirm_form() -> InputRequest {
    schema_form(
        "Please confirm",
        json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}),
    )
}

fn sample(text: &str, max_tokens: u64) -> InputRequest {
    InputRequest::CreateMessage {
        params: CreateMessageRequestParams {
            messages: vec![SamplingMessage::text(Role::User, text.to_owned())],
            max_tokens,
            ..Default::default()
        },
    }
}

fn roots() -> InputRequest {
    InputRequest::ListRoots {
        params: Some(RequestParams::default()),
    }
}

/// A string field of an accepted form, as text (empty when absent).
fn field(answer: &ElicitResult, name: &str) -> String {
    match answer.content.as_ref().and_then(|c| c.get(name)) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn model_text(reply: &CreateMessageResult) -> String {
    reply.content.texts().join("\n")
}

/// `input-required-result-basic-elicitation`; also the tool that `-missing-input-response`,
/// `-result-type`, `-ignore-extra-params` and `-validate-input` probe.
async fn elicitation(ctx: Context) -> Outcome {
    let answer: ElicitResult = ask(&ctx, "user_name", elicit("What is your name?", "name")).await?;
    Ok(format!("Hello, {}!", field(&answer, "name")))
}

/// `input-required-result-basic-sampling`.
async fn sampling(ctx: Context) -> Outcome {
    let reply: CreateMessageResult = ask(
        &ctx,
        "capital_question",
        sample("What is the capital of France?", 100),
    )
    .await?;
    Ok(format!("The model answered: {}", model_text(&reply)))
}

/// `input-required-result-basic-list-roots`.
async fn list_roots(ctx: Context) -> Outcome {
    let listed: ListRootsResult = ask(&ctx, "client_roots", roots()).await?;
    Ok(format!("Found {} root(s)", listed.roots.len()))
}

/// `input-required-result-request-state`: the state kept in round 1 comes back verified in round 2.
async fn request_state(ctx: Context) -> Outcome {
    ctx.set_request_state(json!({"awaiting": "confirm"}));
    let answer: ElicitResult = ask(&ctx, "confirm", confirm_form()).await?;
    let kept = ctx.request_state() == Some(json!({"awaiting": "confirm"}));
    Ok(format!(
        "{}: confirmed={}",
        if kept { "state-ok" } else { "state-missing" },
        field(&answer, "ok")
    ))
}

/// `input-required-result-multiple-input-requests`: three questions of three kinds in one
/// round (each ask records its question before any failure is passed on).
async fn multiple_inputs(ctx: Context) -> Outcome {
    ctx.set_request_state(json!({"round": "inputs"}));
    let name = ask::<ElicitResult>(&ctx, "user_name", elicit("What is your name?", "name")).await;
    let greeting =
        ask::<CreateMessageResult>(&ctx, "greeting", sample("Generate a greeting", 50)).await;
    let listed = ask::<ListRootsResult>(&ctx, "client_roots", roots()).await;
    let (name, greeting, listed) = (name?, greeting?, listed?);
    Ok(format!(
        "name={}, greeting={}, roots={}",
        field(&name, "name"),
        model_text(&greeting),
        listed.roots.len()
    ))
}

/// `input-required-result-multi-round`: the second question only once the first is
/// answered; each round's state differs.
async fn multi_round(ctx: Context) -> Outcome {
    let step1: ElicitResult =
        ask(&ctx, "step1", elicit("Step 1: What is your name?", "name")).await?;
    let step2: ElicitResult = ask(
        &ctx,
        "step2",
        elicit("Step 2: What is your favorite color?", "color"),
    )
    .await?;
    Ok(format!(
        "{} likes {}",
        field(&step1, "name"),
        field(&step2, "color")
    ))
}

/// `input-required-result-tampered-state`: a plain confirmation; the server refuses a
/// tampered `requestState` itself.
async fn confirm_only(ctx: Context) -> Outcome {
    let answer: ElicitResult = ask(&ctx, "confirm", confirm_form()).await?;
    Ok(format!("Confirmed: ok={}", field(&answer, "ok")))
}

/// `input-required-result-capability-check`: a question only of a kind the client declared.
async fn capabilities(ctx: Context) -> Outcome {
    let caps = ctx.client_capabilities().unwrap_or_default();
    let sampled = match caps.sampling {
        Some(_) => Some(
            ask::<CreateMessageResult>(&ctx, "sampling_request", sample("Say hello", 20)).await,
        ),
        None => None,
    };
    let elicited = match caps.elicitation {
        Some(_) => Some(
            ask::<ElicitResult>(&ctx, "elicitation_request", elicit("Your name?", "name")).await,
        ),
        None => None,
    };
    let sampled = sampled.transpose()?;
    let elicited = elicited.transpose()?;
    Ok(format!(
        "Asked for sampling: {}, elicitation: {}",
        sampled.is_some(),
        elicited.is_some()
    ))
}
