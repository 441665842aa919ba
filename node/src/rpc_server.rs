//! The node's JSON-RPC server: Substrate's RPC and the Torus API on `--rpc-port`, over HTTP and
//! WebSocket.
//!
//! It serves as `sc-rpc-server` does, with the same `--rpc-*` flags: listen addresses, CORS and
//! host filter, safe or unsafe methods, connection, payload, batch and subscription limits,
//! `GET /health`, the per-connection `--rpc-rate-limit` and the RPC metrics. It adds one thing
//! that server keeps to itself: each call carries the caller's IP address ([`CallerIp`]), so the
//! Torus API can limit requests per IP. It also differs in two ways that matter on the internet:
//!
//! - `--torus-api-addr` listeners serve the Torus API's four methods and `torus_nodeDetails`
//!   only (and `GET /health`, answered by `system_health`), so a validator exposes its logins without its full RPC
//!   (`state_call` of multi-megabyte DKG data, `author_*`, subscriptions);
//! - the request logger never writes the parameters or results of the Torus API's methods (id
//!   tokens, encrypted shares) at any log level; other calls are logged as Substrate's server
//!   logs them (`-l rpc=trace`), truncated to `--rpc-request-logger-limit`... see
//!   [`loggable`].

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener},
    str::FromStr,
    sync::Arc,
    time::{Duration, Instant},
};

use jsonrpsee::{
    core::BoxError,
    server::{
        middleware::{http::HostFilterLayer, rpc::RpcServiceT},
        serve_with_graceful_shutdown, stop_channel, ws, MethodResponse, PingConfig,
        RandomStringIdProvider, RpcServiceBuilder, Server as ServerBuilder, StopHandle,
    },
    types::Request,
    Methods, RpcModule,
};
use polkadot_sdk::{
    sc_rpc_api::DenyUnsafe,
    sc_rpc_server::{
        self, IpNetwork, Metrics, MiddlewareLayer, NodeHealthProxyLayer, RpcEndpoint, RpcMethods,
        RpcMetrics, RpcSpawnHandle, SubscriptionIdProvider,
    },
    sc_service::{self, config::RpcConfiguration, Error},
    sp_core::traits::SpawnNamed,
    substrate_prometheus_endpoint::Registry,
};
use tower::Service;
use tower_http::cors::{AllowOrigin, CorsLayer};

const MEGABYTE: u32 = 1024 * 1024;

/// The IP address a call came from, in the call's extensions: the connection's peer, or with
/// `--rpc-rate-limit-trust-proxy-headers` the client that the proxy in front of the node names.
/// Absent on calls from `--rpc-rate-limit-whitelisted-ips`, which no per-IP limit applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallerIp(pub IpAddr);

/// The caller of a request that arrived from `peer`. Trusting proxy headers, that is the
/// address the proxy in front of the node saw: `X-Real-IP`, or else the last `X-Forwarded-For`
/// entry (the one the proxy appended; earlier entries are the client's to choose).
pub fn caller_ip(headers: &http::HeaderMap, peer: IpAddr, trust_proxy_headers: bool) -> IpAddr {
    if !trust_proxy_headers {
        return peer;
    }
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let real_ip = header("x-real-ip").and_then(|v| IpAddr::from_str(v.trim()).ok());
    let forwarded_for = || {
        header("x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| IpAddr::from_str(v.trim()).ok())
    };
    real_ip.or_else(forwarded_for).unwrap_or(peer)
}

/// Whether unsafe methods are refused on a listener at `addr`: `--rpc-methods unsafe` allows
/// them, `auto` (the default) only on a loopback address.
fn deny_unsafe(addr: &SocketAddr, methods: RpcMethods) -> DenyUnsafe {
    match (methods, addr.ip().is_loopback()) {
        (RpcMethods::Unsafe, _) | (RpcMethods::Auto, true) => DenyUnsafe::No,
        _ => DenyUnsafe::Yes,
    }
}

/// The endpoints `rpc` asks for: `--rpc-addr`'s, or else `--rpc-port` on localhost (IPv4, and
/// IPv6 where the machine has it).
fn endpoints(rpc: &RpcConfiguration) -> Vec<RpcEndpoint> {
    if let Some(endpoints) = &rpc.addr {
        return endpoints.clone();
    }
    let local = |ip: IpAddr, is_optional| RpcEndpoint {
        listen_addr: SocketAddr::new(ip, rpc.port),
        batch_config: rpc.batch_config,
        max_connections: rpc.max_connections,
        max_payload_in_mb: rpc.max_request_size,
        max_payload_out_mb: rpc.max_response_size,
        max_subscriptions_per_connection: rpc.max_subs_per_conn,
        max_buffer_capacity_per_connection: rpc.message_buffer_capacity,
        rate_limit: rpc.rate_limit,
        rate_limit_trust_proxy_headers: rpc.rate_limit_trust_proxy_headers,
        rate_limit_whitelisted_ips: rpc.rate_limit_whitelisted_ips.clone(),
        cors: rpc.cors.clone(),
        rpc_methods: rpc.methods,
        is_optional,
        retry_random_port: true,
    };
    vec![
        local(Ipv4Addr::LOCALHOST.into(), false),
        local(Ipv6Addr::LOCALHOST.into(), true),
    ]
}

/// A bound listening socket and what its endpoint asks for.
struct Listener {
    socket: TcpListener,
    settings: Settings,
}

/// How one listening socket serves.
struct Settings {
    addr: SocketAddr,
    endpoint: RpcEndpoint,
    /// Serves the Torus API's methods only.
    torus_only: bool,
    cors: CorsLayer,
    host_filter: Option<HostFilterLayer>,
}

fn bind(endpoint: RpcEndpoint, torus_only: bool) -> Result<Listener, BoxError> {
    let socket = match TcpListener::bind(endpoint.listen_addr) {
        Ok(socket) => socket,
        Err(_) if endpoint.retry_random_port => {
            TcpListener::bind(SocketAddr::new(endpoint.listen_addr.ip(), 0))?
        }
        Err(e) => return Err(e.into()),
    };
    socket.set_nonblocking(true)?;
    let addr = socket.local_addr()?;
    let (cors, host_filter) = match &endpoint.cors {
        // `--rpc-cors all`: any origin, any host.
        None => (CorsLayer::permissive(), None),
        Some(origins) => {
            let origins = origins
                .iter()
                .map(|o| http::HeaderValue::from_str(o))
                .collect::<Result<Vec<_>, _>>()?;
            // With a CORS list the Host header must name the listener itself.
            let port = addr.port();
            let hosts = [
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ];
            (
                CorsLayer::new().allow_origin(AllowOrigin::list(origins)),
                Some(HostFilterLayer::new(hosts)?),
            )
        }
    };
    Ok(Listener {
        socket,
        settings: Settings {
            addr,
            endpoint,
            torus_only,
            cors,
            host_filter,
        },
    })
}

/// The methods of `module` that a `--torus-api-addr` listener serves: the Torus API's four,
/// `torus_nodeDetails` and `system_health` (which `GET /health` calls).
fn torus_only(module: &RpcModule<()>) -> Methods {
    let mut only = module.clone();
    let others: Vec<&'static str> = module
        .method_names()
        .filter(|name| {
            !torus_rpc_api::methods::ALL.contains(name)
                && ![torus_rpc_api::methods::NODE_DETAILS, "system_health"].contains(name)
        })
        .collect();
    for name in others {
        only.remove_method(name);
    }
    only.into()
}

/// What the request logger writes of a call's parameters or result: nothing of the Torus API's
/// methods (id tokens, encrypted shares and session tokens), at most `max` bytes of others.
pub fn loggable<'a>(method: &str, text: &'a str, max: u32) -> std::borrow::Cow<'a, str> {
    if torus_rpc_api::methods::ALL.contains(&method) {
        return "<redacted>".into();
    }
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    if text.len() <= max {
        return text.into();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end]).into()
}

/// The request logger (`-l rpc=trace`): each call's method, parameters and result, through
/// [`loggable`].
#[derive(Clone, Copy)]
struct RedactingLoggerLayer(u32);

impl<S> tower::Layer<S> for RedactingLoggerLayer {
    type Service = RedactingLogger<S>;

    fn layer(&self, service: S) -> Self::Service {
        RedactingLogger {
            service,
            max: self.0,
        }
    }
}

/// See [`RedactingLoggerLayer`].
#[derive(Clone)]
struct RedactingLogger<S> {
    service: S,
    max: u32,
}

impl<'a, S> RpcServiceT<'a> for RedactingLogger<S>
where
    S: RpcServiceT<'a>,
    S::Future: 'a,
{
    type Future = futures::future::BoxFuture<'a, MethodResponse>;

    fn call(&self, request: Request<'a>) -> Self::Future {
        let max = self.max;
        let logging = log::log_enabled!(target: "rpc", log::Level::Trace);
        let method = logging.then(|| request.method_name().to_owned());
        if let Some(method) = &method {
            let params = request.params.as_ref().map_or("", |p| p.get());
            log::trace!(target: "rpc", "call {method} {}", loggable(method, params, max));
        }
        let response = self.service.call(request);
        Box::pin(async move {
            let response = response.await;
            if let Some(method) = &method {
                log::trace!(
                    target: "rpc",
                    "answer {method} {}",
                    loggable(method, response.as_result(), max)
                );
            }
            response
        })
    }
}

/// Adds `rpc_methods`, which lists every method served.
fn with_rpc_methods(mut module: RpcModule<()>) -> RpcModule<()> {
    let mut names: Vec<_> = module.method_names().chain(["rpc_methods"]).collect();
    names.sort();
    module
        .register_method(
            "rpc_methods",
            move |_, _, _| serde_json::json!({ "methods": names }),
        )
        .expect("no other module registers rpc_methods");
    module
}

/// Serves the module `build_module` makes on the endpoints of `rpc`, on a dedicated runtime whose
/// spawn handle `build_module` gets; the server stops when the returned handle is dropped.
///
/// Listeners on `torus_api_only` serve only the Torus API's methods ([`torus_only`]), with the
/// limits, CORS and proxy settings of the first `--rpc-*` endpoint.
pub fn start(
    rpc: &mut RpcConfiguration,
    torus_api_only: &[SocketAddr],
    registry: Option<&Registry>,
    build_module: impl FnOnce(Arc<dyn SpawnNamed>) -> Result<RpcModule<()>, Error>,
) -> Result<sc_rpc_server::Server, Error> {
    let application = |e: BoxError| Error::Application(e);
    let mut listeners = Vec::new();
    let standard = endpoints(rpc);
    let torus_endpoints = torus_api_only.iter().map(|addr| RpcEndpoint {
        listen_addr: *addr,
        rpc_methods: RpcMethods::Safe,
        is_optional: false,
        retry_random_port: false,
        ..standard[0].clone()
    });
    let all: Vec<(RpcEndpoint, bool)> = standard
        .iter()
        .cloned()
        .map(|e| (e, false))
        .chain(torus_endpoints.map(|e| (e, true)))
        .collect();
    for (endpoint, torus_only) in all {
        let (addr, optional) = (endpoint.listen_addr, endpoint.is_optional);
        match bind(endpoint, torus_only) {
            Ok(listener) => listeners.push(listener),
            Err(e) if optional => {
                log::debug!(target: "rpc", "optional RPC address {addr} not bound: {e}")
            }
            Err(e) => return Err(Error::Other(format!("cannot serve RPC on {addr}: {e}"))),
        }
    }
    if listeners.is_empty() {
        return Err(Error::Other("no RPC listen address could be bound".into()));
    }
    let metrics = RpcMetrics::new(registry)?;
    let id_provider = rpc.id_provider.take();
    let request_logger_limit = rpc.request_logger_limit;

    let runtime =
        sc_service::create_rpc_runtime(rpc.max_connections).map_err(|e| application(e.into()))?;
    let serve = || {
        let spawner = Arc::new(RpcSpawnHandle::new(runtime.handle().clone()));
        let module = with_rpc_methods(build_module(spawner)?);
        let metrics =
            metrics.map(|m| m.with_known_methods(module.method_names().collect::<Vec<_>>()));
        let torus_methods = torus_only(&module);
        let methods: Methods = module.into();
        let (stop_handle, server_handle) = stop_channel();
        let _entered = runtime.enter();
        let mut addrs = Vec::new();
        for Listener { socket, settings } in listeners {
            addrs.push(settings.addr);
            let socket =
                tokio::net::TcpListener::from_std(socket).map_err(|e| application(e.into()))?;
            let serving = Serving {
                methods: if settings.torus_only {
                    torus_methods.clone()
                } else {
                    methods.clone()
                },
                metrics: metrics.clone(),
                stop_handle: stop_handle.clone(),
                runtime: runtime.handle().clone(),
                id_provider: id_provider.clone(),
                request_logger_limit,
            };
            runtime.spawn(serving.accept(socket, settings));
        }
        // Substrate's server's line, which operators' tools read (one address ends in a comma).
        let listed: Vec<_> = addrs.iter().map(ToString::to_string).collect();
        let comma = if listed.len() == 1 { "," } else { "" };
        log::info!("Running JSON-RPC server: addr={}{comma}", listed.join(","));
        Ok((server_handle, addrs))
    };
    match serve() {
        Ok((handle, addrs)) => Ok(sc_rpc_server::Server::new(handle, addrs, runtime)),
        Err(e) => {
            // Dropping a runtime blocks, which an async context forbids.
            runtime.shutdown_background();
            Err(e)
        }
    }
}

/// What every connection of the server shares.
#[derive(Clone)]
struct Serving {
    methods: Methods,
    metrics: Option<RpcMetrics>,
    stop_handle: StopHandle,
    runtime: tokio::runtime::Handle,
    id_provider: Option<Box<dyn SubscriptionIdProvider>>,
    request_logger_limit: u32,
}

impl Serving {
    /// Accepts connections on `socket` until the server stops.
    async fn accept(self, socket: tokio::net::TcpListener, settings: Settings) {
        let endpoint = settings.endpoint;
        let http_middleware = tower::ServiceBuilder::new()
            .option_layer(settings.host_filter)
            .layer(NodeHealthProxyLayer)
            .layer(settings.cors);
        let mut builder = ServerBuilder::builder()
            .max_request_body_size(endpoint.max_payload_in_mb.saturating_mul(MEGABYTE))
            .max_response_body_size(endpoint.max_payload_out_mb.saturating_mul(MEGABYTE))
            .max_connections(endpoint.max_connections)
            .max_subscriptions_per_connection(endpoint.max_subscriptions_per_connection)
            .enable_ws_ping(
                PingConfig::new()
                    .ping_interval(Duration::from_secs(30))
                    .inactive_limit(Duration::from_secs(60))
                    .max_failures(3),
            )
            .set_http_middleware(http_middleware)
            .set_message_buffer_capacity(endpoint.max_buffer_capacity_per_connection)
            .set_batch_request_config(endpoint.batch_config)
            .custom_tokio_runtime(self.runtime.clone());
        builder = match self.id_provider.clone() {
            Some(provider) => builder.set_id_provider(provider),
            None => builder.set_id_provider(RandomStringIdProvider::new(16)),
        };
        let service_builder = builder.to_service_builder();
        let deny_unsafe = deny_unsafe(&settings.addr, endpoint.rpc_methods);
        let whitelisted: Arc<[IpNetwork]> = endpoint.rate_limit_whitelisted_ips.into();
        let trust_proxy_headers = endpoint.rate_limit_trust_proxy_headers;
        let rate_limit = endpoint.rate_limit;

        loop {
            let (stream, peer) = tokio::select! {
                accepted = socket.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        log::debug!(target: "rpc", "failed to accept an RPC connection: {e}");
                        continue;
                    }
                },
                _ = self.stop_handle.clone().shutdown() => break,
            };
            let this = self.clone();
            let service_builder = service_builder.clone();
            let whitelisted = whitelisted.clone();
            let service =
                tower::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(deny_unsafe);
                    let ip = caller_ip(request.headers(), peer.ip(), trust_proxy_headers);
                    let limited = !whitelisted.iter().any(|net| net.contains(ip));
                    if limited {
                        request.extensions_mut().insert(CallerIp(ip));
                    }
                    let transport = if ws::is_upgrade_request(&request) {
                        "ws"
                    } else {
                        "http"
                    };
                    let metrics = this.metrics.clone().map(|m| Metrics::new(m, transport));
                    let rate_limit = rate_limit.filter(|_| limited);
                    let middleware = (metrics.is_some() || rate_limit.is_some()).then(|| {
                        let layer = MiddlewareLayer::new();
                        let layer = match metrics {
                            Some(metrics) => layer.with_metrics(metrics),
                            None => layer,
                        };
                        match rate_limit {
                            Some(per_minute) => layer.with_rate_limit_per_minute(per_minute),
                            None => layer,
                        }
                    });
                    let rpc_middleware = RpcServiceBuilder::new()
                        .layer(RedactingLoggerLayer(this.request_logger_limit))
                        .option_layer(middleware.clone());
                    let mut service = service_builder
                        .clone()
                        .set_rpc_middleware(rpc_middleware)
                        .build(this.methods.clone(), this.stop_handle.clone());
                    if transport == "ws" {
                        let closed = service.on_session_closed();
                        this.runtime.spawn(async move {
                            let opened = Instant::now();
                            if let Some(m) = &middleware {
                                m.ws_connect();
                            }
                            closed.await;
                            if let Some(m) = &middleware {
                                m.ws_disconnect(opened);
                            }
                        });
                    }
                    async move { service.call(request).await }
                });
            self.runtime.spawn(serve_with_graceful_shutdown(
                stream,
                service,
                self.stop_handle.clone().shutdown(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    http::HeaderValue::from_str(value).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn the_caller_is_the_peer_unless_proxy_headers_are_trusted() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let forwarded = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.9")]);
        assert_eq!(caller_ip(&forwarded, peer, false), peer);
        // The last entry is the one the proxy appended; the first is the client's to choose.
        assert_eq!(
            caller_ip(&forwarded, peer, true),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let real = headers(&[
            ("x-real-ip", "2001:db8::7"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            caller_ip(&real, peer, true),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        // Unreadable headers fall back to the peer.
        let garbage = headers(&[("x-real-ip", "not an ip"), ("x-forwarded-for", "1.2.3")]);
        assert_eq!(caller_ip(&garbage, peer, true), peer);
        assert_eq!(caller_ip(&http::HeaderMap::new(), peer, true), peer);
    }

    #[test]
    fn unsafe_methods_are_served_on_loopback_or_when_asked_for() {
        let local: SocketAddr = "127.0.0.1:9944".parse().unwrap();
        let public: SocketAddr = "0.0.0.0:9944".parse().unwrap();
        let allowed = |addr, methods| matches!(deny_unsafe(addr, methods), DenyUnsafe::No);
        assert!(allowed(&local, RpcMethods::Auto));
        assert!(!allowed(&public, RpcMethods::Auto));
        assert!(!allowed(&local, RpcMethods::Safe));
        assert!(allowed(&public, RpcMethods::Unsafe));
    }

    fn endpoint(cors: Option<Vec<String>>) -> RpcEndpoint {
        let mut rpc = endpoints(&RpcConfiguration {
            addr: None,
            max_connections: 10,
            cors,
            methods: RpcMethods::Auto,
            max_request_size: 1,
            max_response_size: 1,
            id_provider: None,
            max_subs_per_conn: 1,
            port: 0,
            message_buffer_capacity: 1,
            batch_config: jsonrpsee::server::BatchRequestConfig::Unlimited,
            rate_limit: None,
            rate_limit_whitelisted_ips: Vec::new(),
            rate_limit_trust_proxy_headers: false,
            request_logger_limit: 1,
        });
        rpc.remove(0)
    }

    #[test]
    fn a_cors_list_filters_hosts_and_a_bad_origin_is_refused() {
        let open = bind(endpoint(None), false).unwrap();
        assert!(
            open.settings.host_filter.is_none(),
            "--rpc-cors all: any host"
        );
        assert!(open.settings.addr.ip().is_loopback());
        let listed = bind(endpoint(Some(vec!["http://localhost:3000".into()])), false).unwrap();
        assert!(listed.settings.host_filter.is_some());
        let bad = bind(endpoint(Some(vec!["http://bad\norigin".into()])), false);
        assert!(bad.is_err(), "an origin that is no header value is refused");
    }

    #[test]
    fn the_logger_never_writes_torus_api_params_and_truncates_others() {
        let token = r#"{"item":[{"idtoken":"eyJhbGciOi.secret.token"}]}"#;
        for method in torus_rpc_api::methods::ALL {
            assert_eq!(loggable(method, token, 1000), "<redacted>");
        }
        assert_eq!(loggable("system_health", "[]", 1000), "[]");
        assert_eq!(loggable("chain_getBlock", "abcdef", 3), "abc...");
        // Never cut inside a character.
        assert_eq!(loggable("chain_getBlock", "aé", 2), "a...");
    }

    #[test]
    fn a_torus_api_listener_serves_the_four_methods_node_details_and_health_only() {
        let mut module = RpcModule::new(());
        for name in torus_rpc_api::methods::ALL.into_iter().chain([
            torus_rpc_api::methods::NODE_DETAILS,
            "system_health",
            "state_call",
            "author_submitExtrinsic",
        ]) {
            module.register_method(name, |_, _, _| 1).unwrap();
        }
        let only = torus_only(&module);
        let mut served: Vec<_> = only.method_names().collect();
        served.sort();
        let mut expected: Vec<_> = torus_rpc_api::methods::ALL
            .into_iter()
            .chain([torus_rpc_api::methods::NODE_DETAILS, "system_health"])
            .collect();
        expected.sort();
        assert_eq!(served, expected);
    }

    #[test]
    fn rpc_methods_lists_every_method() {
        let mut module = RpcModule::new(());
        module.register_method("b_method", |_, _, _| 1).unwrap();
        let module = with_rpc_methods(module);
        let listed: serde_json::Value =
            futures::executor::block_on(module.call("rpc_methods", jsonrpsee::rpc_params![]))
                .unwrap();
        assert_eq!(
            listed,
            serde_json::json!({ "methods": ["b_method", "rpc_methods"] })
        );
    }
}
