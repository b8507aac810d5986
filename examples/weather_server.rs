//! A small MCP server over stdio: one typed tool with structured output, one that reports
//! progress and logs, one that asks the client's model (sampling).
//!
//! Run it under any MCP client, e.g. `spate tools --stdio -- cargo run -q --example weather_server`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use spate::protocol::{CreateMessageRequestParams, Role, SamplingMessage};
use spate::server::{Args, Context, Server, Structured};

#[derive(Deserialize, JsonSchema)]
struct City {
    /// The city to look up.
    city: String,
}

#[derive(Serialize, JsonSchema)]
struct Forecast {
    city: String,
    celsius: f64,
}

#[derive(Deserialize, JsonSchema)]
struct Cities {
    cities: Vec<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    Server::new("weather", "1.0")
        .tool(
            "forecast",
            "Tomorrow's temperature in a city",
            |Args(City { city }): Args<City>| async move {
                let celsius = 12.5 + city.len() as f64; // a very local model
                Ok(Structured {
                    text: format!("{city}: {celsius} °C"),
                    value: Forecast { city, celsius },
                })
            },
        )
        .tool(
            "survey",
            "Forecast several cities with progress",
            |ctx: Context, Args(Cities { cities }): Args<Cities>| async move {
                let n = cities.len() as f64;
                for (i, city) in cities.iter().enumerate() {
                    ctx.info(format!("looking up {city}")).await?;
                    ctx.progress(i as f64 + 1.0, Some(n), Some(city.clone()))
                        .await?;
                }
                Ok(format!("surveyed {} cities", cities.len()))
            },
        )
        .tool(
            "poem",
            "Ask the client's model for a weather poem",
            |ctx: Context, Args(City { city }): Args<City>| async move {
                let request = CreateMessageRequestParams {
                    messages: vec![SamplingMessage::text(
                        Role::User,
                        format!("A two-line poem about rain in {city}"),
                    )],
                    max_tokens: 100,
                    ..Default::default()
                };
                let reply = ctx.sample(request).await?;
                Ok(serde_json::to_string(&reply.content).unwrap_or_default())
            },
        )
        .serve_stdio()
        .await
}
