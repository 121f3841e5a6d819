//! MQTT 5 reason codes the broker uses (MQTT 5.0 §2.4), by their spec names.

/// Success (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH).
pub const SUCCESS: u8 = 0x00;
/// Normal disconnection (DISCONNECT).
pub const NORMAL_DISCONNECTION: u8 = 0x00;
/// Granted QoS 0 (SUBACK).
pub const GRANTED_QOS_0: u8 = 0x00;
/// Granted QoS 1 (SUBACK).
pub const GRANTED_QOS_1: u8 = 0x01;
/// Granted QoS 2 (SUBACK).
pub const GRANTED_QOS_2: u8 = 0x02;
/// Disconnect with Will Message (DISCONNECT).
pub const DISCONNECT_WITH_WILL: u8 = 0x04;
/// No matching subscribers (PUBACK, PUBREC).
pub const NO_MATCHING_SUBSCRIBERS: u8 = 0x10;
/// No subscription existed (UNSUBACK).
pub const NO_SUBSCRIPTION_EXISTED: u8 = 0x11;
/// Continue authentication (AUTH).
pub const CONTINUE_AUTHENTICATION: u8 = 0x18;
/// Re-authenticate (AUTH).
pub const RE_AUTHENTICATE: u8 = 0x19;
/// Unspecified error.
pub const UNSPECIFIED_ERROR: u8 = 0x80;
/// Malformed Packet.
pub const MALFORMED_PACKET: u8 = 0x81;
/// Protocol Error.
pub const PROTOCOL_ERROR: u8 = 0x82;
/// Implementation specific error.
pub const IMPLEMENTATION_SPECIFIC_ERROR: u8 = 0x83;
/// Unsupported Protocol Version (CONNACK).
pub const UNSUPPORTED_PROTOCOL_VERSION: u8 = 0x84;
/// Client Identifier not valid (CONNACK).
pub const CLIENT_IDENTIFIER_NOT_VALID: u8 = 0x85;
/// Bad User Name or Password (CONNACK).
pub const BAD_USER_NAME_OR_PASSWORD: u8 = 0x86;
/// Not authorized.
pub const NOT_AUTHORIZED: u8 = 0x87;
/// Server unavailable (CONNACK).
pub const SERVER_UNAVAILABLE: u8 = 0x88;
/// Server busy.
pub const SERVER_BUSY: u8 = 0x89;
/// Banned (CONNACK).
pub const BANNED: u8 = 0x8A;
/// Server shutting down (DISCONNECT).
pub const SERVER_SHUTTING_DOWN: u8 = 0x8B;
/// Bad authentication method (CONNACK, DISCONNECT).
pub const BAD_AUTHENTICATION_METHOD: u8 = 0x8C;
/// Keep Alive timeout (DISCONNECT).
pub const KEEP_ALIVE_TIMEOUT: u8 = 0x8D;
/// Session taken over (DISCONNECT).
pub const SESSION_TAKEN_OVER: u8 = 0x8E;
/// Topic Filter invalid.
pub const TOPIC_FILTER_INVALID: u8 = 0x8F;
/// Topic Name invalid.
pub const TOPIC_NAME_INVALID: u8 = 0x90;
/// Packet Identifier in use.
pub const PACKET_IDENTIFIER_IN_USE: u8 = 0x91;
/// Packet Identifier not found (PUBREL, PUBCOMP).
pub const PACKET_IDENTIFIER_NOT_FOUND: u8 = 0x92;
/// Receive Maximum exceeded (DISCONNECT).
pub const RECEIVE_MAXIMUM_EXCEEDED: u8 = 0x93;
/// Topic Alias invalid (DISCONNECT).
pub const TOPIC_ALIAS_INVALID: u8 = 0x94;
/// Packet too large.
pub const PACKET_TOO_LARGE: u8 = 0x95;
/// Message rate too high (DISCONNECT).
pub const MESSAGE_RATE_TOO_HIGH: u8 = 0x96;
/// Quota exceeded.
pub const QUOTA_EXCEEDED: u8 = 0x97;
/// Administrative action (DISCONNECT).
pub const ADMINISTRATIVE_ACTION: u8 = 0x98;
/// Payload format invalid.
pub const PAYLOAD_FORMAT_INVALID: u8 = 0x99;
/// Retain not supported.
pub const RETAIN_NOT_SUPPORTED: u8 = 0x9A;
/// QoS not supported.
pub const QOS_NOT_SUPPORTED: u8 = 0x9B;
/// Use another server.
pub const USE_ANOTHER_SERVER: u8 = 0x9C;
/// Server moved.
pub const SERVER_MOVED: u8 = 0x9D;
/// Shared Subscriptions not supported.
pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: u8 = 0x9E;
/// Connection rate exceeded.
pub const CONNECTION_RATE_EXCEEDED: u8 = 0x9F;
/// Maximum connect time (DISCONNECT).
pub const MAXIMUM_CONNECT_TIME: u8 = 0xA0;
/// Subscription Identifiers not supported.
pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: u8 = 0xA1;
/// Wildcard Subscriptions not supported.
pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: u8 = 0xA2;
