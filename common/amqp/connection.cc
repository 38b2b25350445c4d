#include "common/amqp/connection.h"

#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace stellenwerk::amqp {
namespace {

constexpr amqp_channel_t kChannel = 1;
constexpr int kHeartbeatSeconds = 30;

amqp_bytes_t Bytes(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

std::string String(amqp_bytes_t b) { return std::string(static_cast<const char*>(b.bytes), b.len); }

timeval TimevalFrom(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  timeval tv{};
  tv.tv_sec = absl::ToInt64Seconds(d);
  tv.tv_usec = absl::ToInt64Microseconds(d - absl::Seconds(tv.tv_sec));
  return tv;
}

std::string ReplyText(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "missing RPC reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
        return absl::StrCat("connection closed by broker: ", m->reply_code, " ",
                            String(m->reply_text));
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return absl::StrCat("channel closed by broker: ", m->reply_code, " ",
                            String(m->reply_text));
      }
      return "broker error";
  }
  return "unknown";
}

// Fills AMQP field table entries; `storage` keeps the strings alive during the call.
struct Headers {
  std::vector<std::string> storage;
  std::vector<amqp_table_entry_t> entries;

  explicit Headers(const Message& m) {
    storage.reserve(8 + 2 * m.extra_headers.size());
    AddText("tenant-id", m.tenant_id);
    AddText("correlation-id", m.correlation_id);
    amqp_table_entry_t e{};
    storage.emplace_back("schema-version");
    e.key = Bytes(storage.back());
    e.value.kind = AMQP_FIELD_KIND_I32;
    e.value.value.i32 = m.schema_version;
    entries.push_back(e);
    for (const auto& [k, v] : m.extra_headers) AddText(k, v);
  }
  void AddText(const std::string& key, const std::string& value) {
    storage.push_back(key);
    amqp_table_entry_t e{};
    e.key = Bytes(storage.back());
    storage.push_back(value);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = Bytes(storage.back());
    entries.push_back(e);
  }
};

std::string HeaderText(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
      return String(v.value.bytes);
    case AMQP_FIELD_KIND_I8:
      return std::to_string(v.value.i8);
    case AMQP_FIELD_KIND_U8:
      return std::to_string(v.value.u8);
    case AMQP_FIELD_KIND_I16:
      return std::to_string(v.value.i16);
    case AMQP_FIELD_KIND_U16:
      return std::to_string(v.value.u16);
    case AMQP_FIELD_KIND_I32:
      return std::to_string(v.value.i32);
    case AMQP_FIELD_KIND_U32:
      return std::to_string(v.value.u32);
    case AMQP_FIELD_KIND_I64:
      return std::to_string(v.value.i64);
    case AMQP_FIELD_KIND_U64:
      return std::to_string(v.value.u64);
    default:
      return "";
  }
}

Message MessageFrom(const amqp_basic_properties_t& p, const amqp_bytes_t& body) {
  Message m;
  m.body = String(body);
  if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) m.message_id = String(p.message_id);
  if (p._flags & AMQP_BASIC_TYPE_FLAG) m.type = String(p.type);
  if (p._flags & AMQP_BASIC_TIMESTAMP_FLAG) m.timestamp = absl::FromUnixSeconds(p.timestamp);
  if (p._flags & AMQP_BASIC_CORRELATION_ID_FLAG) m.correlation_id = String(p.correlation_id);
  if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < p.headers.num_entries; ++i) {
      const auto& e = p.headers.entries[i];
      const std::string key = String(e.key);
      const std::string value = HeaderText(e.value);
      if (key == "tenant-id") {
        m.tenant_id = value;
      } else if (key == "correlation-id") {
        m.correlation_id = value;
      } else if (key == "schema-version") {
        m.schema_version = std::atoi(value.c_str());
      } else {
        m.extra_headers[key] = value;
      }
    }
  }
  return m;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& uri,
                                                             absl::Duration timeout) {
  std::string copy = uri;  // amqp_parse_url writes into its argument
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(copy.data(), &info) != AMQP_STATUS_OK) {
    return absl::InvalidArgumentError("AMQP URI is not amqp://user:pass@host:port/vhost");
  }
  amqp_connection_state_t state = amqp_new_connection();
  std::unique_ptr<Connection> conn(new Connection(state));
  amqp_socket_t* socket = amqp_tcp_socket_new(state);
  if (socket == nullptr) return absl::InternalError("cannot create AMQP socket");
  timeval tv = TimevalFrom(timeout);
  int rc = amqp_socket_open_noblock(socket, info.host, info.port, &tv);
  if (rc != AMQP_STATUS_OK) {
    conn->broken_ = true;
    return absl::UnavailableError(absl::StrCat("RabbitMQ unreachable at ", info.host, ":",
                                               info.port, ": ", amqp_error_string2(rc)));
  }
  // Bound every later blocking call (writes, RPC replies) by the same timeout.
  amqp_set_rpc_timeout(state, &tv);
  // "amqp://host:port/" parses to an empty vhost; RabbitMQ's default vhost is "/".
  const char* vhost = (info.vhost == nullptr || *info.vhost == '\0') ? "/" : info.vhost;
  amqp_rpc_reply_t r = amqp_login(state, vhost, 0, 131072, kHeartbeatSeconds,
                                  AMQP_SASL_METHOD_PLAIN, info.user, info.password);
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    conn->broken_ = true;
    return absl::UnavailableError(absl::StrCat("RabbitMQ login failed: ", ReplyText(r)));
  }
  amqp_channel_open(state, kChannel);
  if (absl::Status s = conn->Check("channel.open"); !s.ok()) return s;
  return conn;
}

Connection::~Connection() {
  if (!broken_) {
    amqp_channel_close(state_, kChannel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

absl::Status Connection::Check(const char* what) {
  amqp_rpc_reply_t r = amqp_get_rpc_reply(state_);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return absl::OkStatus();
  broken_ = true;
  return absl::UnavailableError(absl::StrCat("AMQP ", what, ": ", ReplyText(r)));
}

absl::Status Connection::DeclareTopology() {
  amqp_exchange_declare(state_, kChannel, amqp_cstring_bytes(kEventsExchange),
                        amqp_cstring_bytes("topic"), 0, /*durable=*/1, 0, 0, amqp_empty_table);
  if (absl::Status s = Check("declare events exchange"); !s.ok()) return s;
  amqp_exchange_declare(state_, kChannel, amqp_cstring_bytes(kDeadLetterExchange),
                        amqp_cstring_bytes("direct"), 0, /*durable=*/1, 0, 0, amqp_empty_table);
  return Check("declare dead-letter exchange");
}

absl::Status Connection::DeclareQueue(const QueueSpec& spec) {
  const std::string dead = spec.name + ".dead";
  amqp_table_entry_t args[3];
  int n = 0;
  args[n].key = amqp_cstring_bytes("x-dead-letter-exchange");
  args[n].value.kind = AMQP_FIELD_KIND_UTF8;
  args[n++].value.value.bytes = amqp_cstring_bytes(kDeadLetterExchange);
  args[n].key = amqp_cstring_bytes("x-dead-letter-routing-key");
  args[n].value.kind = AMQP_FIELD_KIND_UTF8;
  args[n++].value.value.bytes = Bytes(spec.name);
  args[n].key = amqp_cstring_bytes("x-queue-type");
  args[n].value.kind = AMQP_FIELD_KIND_UTF8;
  args[n++].value.value.bytes = Bytes(spec.queue_type);
  amqp_table_t table{n, args};
  amqp_queue_declare(state_, kChannel, Bytes(spec.name), 0, /*durable=*/1, 0, 0, table);
  if (absl::Status s = Check("declare queue"); !s.ok()) return s;

  amqp_table_entry_t dead_args[1];
  dead_args[0].key = amqp_cstring_bytes("x-queue-type");
  dead_args[0].value.kind = AMQP_FIELD_KIND_UTF8;
  dead_args[0].value.value.bytes = Bytes(spec.queue_type);
  amqp_queue_declare(state_, kChannel, Bytes(dead), 0, 1, 0, 0, amqp_table_t{1, dead_args});
  if (absl::Status s = Check("declare parking queue"); !s.ok()) return s;
  if (absl::Status s = Bind(dead, kDeadLetterExchange, spec.name); !s.ok()) return s;
  for (const auto& key : spec.binding_keys) {
    if (absl::Status s = Bind(spec.name, kEventsExchange, key); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Connection::Bind(const std::string& queue, const std::string& exchange,
                              const std::string& key) {
  amqp_queue_bind(state_, kChannel, Bytes(queue), Bytes(exchange), Bytes(key), amqp_empty_table);
  return Check("bind queue");
}

absl::Status Connection::Purge(const std::string& queue) {
  amqp_queue_purge(state_, kChannel, Bytes(queue));
  return Check("purge queue");
}

absl::Status Connection::EnableConfirms() {
  amqp_confirm_select(state_, kChannel);
  if (absl::Status s = Check("confirm.select"); !s.ok()) return s;
  confirms_ = true;
  return absl::OkStatus();
}

absl::Status Connection::HandleUnexpectedFrame(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return absl::OkStatus();
  switch (frame.payload.method.id) {
    case AMQP_CHANNEL_CLOSE_METHOD: {
      auto* m = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("AMQP channel closed by broker: ", m->reply_code,
                                                 " ", String(m->reply_text)));
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
      auto* m = static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
      broken_ = true;
      return absl::UnavailableError(absl::StrCat(
          "AMQP connection closed by broker: ", m->reply_code, " ", String(m->reply_text)));
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status Connection::PublishConfirmed(const std::vector<Message>& batch, absl::Duration timeout,
                                          const std::string& exchange) {
  if (!confirms_) return absl::FailedPreconditionError("confirms not enabled");
  std::set<uint64_t> pending;
  for (const Message& m : batch) {
    Headers headers(m);
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                   AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
                   AMQP_BASIC_HEADERS_FLAG;
    props.content_type = amqp_cstring_bytes(kContentType);
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.message_id = Bytes(m.message_id);
    props.type = Bytes(m.type);
    props.timestamp = static_cast<uint64_t>(absl::ToUnixSeconds(m.timestamp));
    if (!m.correlation_id.empty()) {
      props._flags |= AMQP_BASIC_CORRELATION_ID_FLAG;
      props.correlation_id = Bytes(m.correlation_id);
    }
    props.headers = amqp_table_t{static_cast<int>(headers.entries.size()), headers.entries.data()};
    const int rc = amqp_basic_publish(state_, kChannel, Bytes(exchange), Bytes(m.type), 0, 0,
                                      &props, Bytes(m.body));
    if (rc != AMQP_STATUS_OK) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("AMQP publish: ", amqp_error_string2(rc)));
    }
    pending.insert(next_tag_++);
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (!pending.empty()) {
    amqp_frame_t frame;
    timeval tv = TimevalFrom(deadline - absl::Now());
    const int rc = amqp_simple_wait_frame_noblock(state_, &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) {
      broken_ = true;  // unknown confirm state: the connection cannot be trusted any more
      return absl::DeadlineExceededError("RabbitMQ did not confirm in time");
    }
    if (rc != AMQP_STATUS_OK) {
      broken_ = true;
      return absl::UnavailableError(
          absl::StrCat("AMQP wait for confirm: ", amqp_error_string2(rc)));
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
      auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      if (ack->multiple) {
        pending.erase(pending.begin(), pending.upper_bound(ack->delivery_tag));
      } else {
        pending.erase(ack->delivery_tag);
      }
    } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      return absl::UnavailableError("RabbitMQ refused (nacked) a message");
    } else if (absl::Status s = HandleUnexpectedFrame(frame); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Connection::StartConsuming(const std::string& queue, int prefetch) {
  amqp_basic_qos(state_, kChannel, 0, static_cast<uint16_t>(prefetch), 0);
  if (absl::Status s = Check("basic.qos"); !s.ok()) return s;
  amqp_basic_consume(state_, kChannel, Bytes(queue), amqp_empty_bytes, 0, /*no_ack=*/0, 0,
                     amqp_empty_table);
  return Check("basic.consume");
}

absl::StatusOr<std::optional<Delivery>> Connection::NextDelivery(absl::Duration timeout) {
  amqp_maybe_release_buffers(state_);
  amqp_envelope_t envelope;
  timeval tv = TimevalFrom(timeout);
  amqp_rpc_reply_t r = amqp_consume_message(state_, &envelope, &tv, 0);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) {
    Delivery d;
    d.delivery_tag = envelope.delivery_tag;
    d.redelivered = envelope.redelivered != 0;
    d.routing_key = String(envelope.routing_key);
    d.message = MessageFrom(envelope.message.properties, envelope.message.body);
    if (d.message.type.empty()) d.message.type = d.routing_key;
    amqp_destroy_envelope(&envelope);
    return std::optional<Delivery>(std::move(d));
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
    return std::optional<Delivery>();
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
    amqp_frame_t frame;
    const int rc = amqp_simple_wait_frame(state_, &frame);
    if (rc != AMQP_STATUS_OK) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("AMQP read: ", amqp_error_string2(rc)));
    }
    if (absl::Status s = HandleUnexpectedFrame(frame); !s.ok()) return s;
    return std::optional<Delivery>();
  }
  broken_ = true;
  return absl::UnavailableError(absl::StrCat("AMQP consume: ", ReplyText(r)));
}

absl::Status Connection::Ack(uint64_t delivery_tag, bool multiple) {
  const int rc = amqp_basic_ack(state_, kChannel, delivery_tag, multiple ? 1 : 0);
  if (rc != AMQP_STATUS_OK) {
    broken_ = true;
    return absl::UnavailableError(absl::StrCat("AMQP ack: ", amqp_error_string2(rc)));
  }
  return absl::OkStatus();
}

absl::Status Connection::Reject(uint64_t delivery_tag, bool requeue) {
  const int rc = amqp_basic_reject(state_, kChannel, delivery_tag, requeue ? 1 : 0);
  if (rc != AMQP_STATUS_OK) {
    broken_ = true;
    return absl::UnavailableError(absl::StrCat("AMQP reject: ", amqp_error_string2(rc)));
  }
  return absl::OkStatus();
}

absl::Status Connection::Poll() {
  amqp_frame_t frame;
  timeval tv{0, 1000};
  const int rc = amqp_simple_wait_frame_noblock(state_, &frame, &tv);
  if (rc == AMQP_STATUS_TIMEOUT) return absl::OkStatus();
  if (rc != AMQP_STATUS_OK) {
    broken_ = true;
    return absl::UnavailableError(absl::StrCat("AMQP connection lost: ", amqp_error_string2(rc)));
  }
  return HandleUnexpectedFrame(frame);
}

absl::StatusOr<std::optional<Delivery>> Connection::Get(const std::string& queue, bool ack) {
  amqp_maybe_release_buffers(state_);
  amqp_rpc_reply_t r = amqp_basic_get(state_, kChannel, Bytes(queue), ack ? 1 : 0);
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    broken_ = true;
    return absl::UnavailableError(absl::StrCat("AMQP basic.get: ", ReplyText(r)));
  }
  if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::optional<Delivery>();
  auto* ok = static_cast<amqp_basic_get_ok_t*>(r.reply.decoded);
  Delivery d;
  d.delivery_tag = ok->delivery_tag;
  d.redelivered = ok->redelivered != 0;
  d.routing_key = String(ok->routing_key);
  amqp_message_t message;
  r = amqp_read_message(state_, kChannel, &message, 0);
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    broken_ = true;
    return absl::UnavailableError(absl::StrCat("AMQP read message: ", ReplyText(r)));
  }
  d.message = MessageFrom(message.properties, message.body);
  if (d.message.type.empty()) d.message.type = d.routing_key;
  amqp_destroy_message(&message);
  return std::optional<Delivery>(std::move(d));
}

}  // namespace stellenwerk::amqp
