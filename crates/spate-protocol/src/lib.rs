//! Wire types of the Model Context Protocol for every released version, in one era-neutral
//! model: tolerant when reading, exact when writing for the negotiated version.
//!
//! Every type accepts the union of what any version may send (unknown fields are ignored);
//! before writing for a peer, [`FitVersion::fit_version`] shapes a value to exactly what the
//! negotiated [`ProtocolVersion`] defines.
//!
//! No I/O and no runtime here: transports and the engine live in the `spate` crate.

#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod capabilities;
pub mod completion;
pub mod content;
pub mod elicitation;
pub mod elicitation_schema;
pub mod envelope;
pub mod error_code;
pub mod error_data;
pub mod events;
pub mod fit;
pub mod http_headers;
pub mod icon;
pub mod jsonrpc;
pub mod lifecycle;
pub mod logging;
pub mod meta;
pub mod methods;
pub mod modern;
pub mod notifications;
mod num;
pub mod pagination;
pub mod prompts;
pub mod resources;
pub mod result;
pub mod roots;
pub mod sampling;
pub mod tasks;
pub mod tools;
pub mod version;

pub use capabilities::{
    ClientCapabilities, ClientTaskRequests, ClientTasksCapability, ElicitationCapability,
    ElicitationTaskRequests, PromptsCapability, ResourcesCapability, RootsCapability,
    SamplingCapability, SamplingTaskRequests, ServerCapabilities, ServerTaskRequests,
    ServerTasksCapability, ToolsCapability, ToolsTaskRequests,
};
pub use completion::{
    CompleteRequestParams, CompleteResult, Completion, CompletionArgument, CompletionContext,
    CompletionReference, PromptReference, ResourceTemplateReference,
};
pub use content::{
    Annotations, AudioContent, BlobResourceContents, ContentBlock, EmbeddedResource, ImageContent,
    ResourceContents, ResourceLink, Role, TextContent, TextResourceContents,
};
pub use elicitation::{
    ElicitAction, ElicitRequestParams, ElicitResult, ElicitationCompleteNotificationParams,
    UrlElicitationRequiredData,
};
pub use elicitation_schema::{
    BooleanSchema, ElicitationSchema, EnumOption, LegacyTitledEnumSchema, NumberSchema, NumberType,
    PrimitiveSchemaDefinition, StringFormat, StringSchema, TitledEnumItems,
    TitledMultiSelectEnumSchema, TitledSingleSelectEnumSchema, UntitledEnumItems,
    UntitledMultiSelectEnumSchema, UntitledSingleSelectEnumSchema,
};
pub use error_data::{MissingRequiredClientCapabilityData, UnsupportedProtocolVersionData};
pub use fit::FitVersion;
pub use icon::{Icon, IconTheme};
pub use jsonrpc::{ErrorObject, Message, Notification, Request, RequestId, Response, ResponseBody};
pub use lifecycle::{Implementation, InitializeRequestParams, InitializeResult};
pub use logging::{LoggingLevel, LoggingMessageNotificationParams, SetLevelRequestParams};
pub use meta::{JsonObject, Meta, ProgressToken, progress_token};
pub use modern::{
    DiscoverRequestParams, DiscoverResult, InputRequest, InputRequests, InputRequiredResult,
    InputResponse, InputResponses, ListRootsRequestParams, SubscriptionFilter,
    SubscriptionsAcknowledgedNotificationParams, SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
};
pub use notifications::{CancelledNotificationParams, ProgressNotificationParams};
pub use pagination::{Cursor, PaginatedRequestParams};
pub use prompts::{
    GetPromptRequestParams, GetPromptResult, ListPromptsResult, Prompt, PromptArgument,
    PromptMessage,
};
pub use resources::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceRequestParams,
    ReadResourceResult, Resource, ResourceTemplate, ResourceUpdatedNotificationParams,
    SubscribeRequestParams, UnsubscribeRequestParams,
};
pub use result::{CacheScope, EmptyResult, NotificationParams, RequestParams, ResultType};
pub use roots::{ListRootsResult, Root};
pub use sampling::{
    CreateMessageRequestParams, CreateMessageResult, IncludeContext, ModelHint, ModelPreferences,
    SamplingContent, SamplingContentBlock, SamplingMessage, StopReason, ToolChoice, ToolChoiceMode,
    ToolResultContent, ToolUseContent,
};
pub use tasks::{
    CancelTaskRequestParams, CancelTaskResult, CreateTaskResult, DetailedTask,
    GetTaskPayloadRequestParams, GetTaskPayloadResult, GetTaskRequestParams, GetTaskResult,
    ListTasksResult, RelatedTaskMetadata, Task, TaskMetadata, TaskStatus,
    TaskStatusNotificationParams, TaskWire, UpdateTaskRequestParams,
};
pub use tools::{
    CallToolRequestParams, CallToolResult, HeaderParam, ListToolsResult, TaskSupport, Tool,
    ToolAnnotations, ToolExecution,
};
pub use version::{Era, ProtocolVersion};
