// The C ABI between interop-js and V8 (from Debian's libnode). Kept small on purpose:
// everything it does is reachable through `src/engine.rs`, and nothing else in the crate
// knows it exists, so it can be replaced by the `v8` crate without touching the public API.
//
// One `ijs_rt` is one isolate with one context. Every entry point takes the isolate's
// v8::Locker, so a runtime may be used from any thread, one thread at a time.
// Strings cross as (pointer, length) UTF-8; results are kept in the runtime and stay valid
// until the next call on it. The heap limit is kept in heap.h, memory outside the heap is
// budgeted in memory.h, and text going to the host is bounded in text.h.

#include <libplatform/libplatform.h>
#include <v8.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "heap.h"
#include "memory.h"
#include "text.h"

extern "C" {
typedef struct ijs_ret ijs_ret;
// Called when JS calls a bound host function: `args` is a JSON array (empty when the call
// had no arguments). The callee answers with ijs_ret_json or ijs_ret_error.
typedef void (*ijs_host_cb)(void* user, uint32_t id, const char* args, size_t args_len,
                            ijs_ret* ret);
}

namespace {

using ijs::Lit;
using ijs::Str;

std::unique_ptr<ijs::BudgetedPlatform> g_platform;
std::once_flag g_init_once;

// Status codes shared with engine.rs.
constexpr int kOk = 0;          // result JSON in out
constexpr int kThrown = 1;      // JS exception: JSON {name, message, stack, kind?, limit?}
constexpr int kTerminated = 2;  // execution terminated (watchdog or heap limit)
constexpr int kFailed = 3;      // other failure: plain message in out
constexpr int kOverBudget = 4;  // threw after the budget refused an allocation (see memory.h)
constexpr int kTooLarge = 5;    // the result's JSON is over max_message bytes

// Cap of the short fields of an exception (name, kind, limit, script name).
constexpr size_t kShortCap = 256;

}  // namespace

struct ijs_rt {
  v8::Isolate* isolate = nullptr;
  v8::Global<v8::Context> context;
  // Memory outside the heap (ArrayBuffers, WebAssembly memories); see memory.h.
  std::shared_ptr<ijs::Budget> budget;
  ijs::BudgetedAllocator* allocator = nullptr;
  ijs_host_cb cb = nullptr;
  void* user = nullptr;
  std::unique_ptr<ijs::HeapLimit> heap;
  // Largest text handed to the host at once: a result, a thrown message or stack, the
  // arguments of a host function call.
  size_t max_message = 0;
  std::string out;
  // What the caller of a dotted path is made with (see kCallerHead): `Reflect.apply`, the
  // two answers a caller gives instead of a result when there is nothing to call, and the
  // argument list of a call without arguments.
  v8::Global<v8::Function> apply;
  v8::Global<v8::Object> not_found;
  v8::Global<v8::Object> not_a_function;
  v8::Global<v8::Array> no_args;
  // The callers of the dotted paths called so far ("plugin.greet").
  std::unordered_map<std::string, v8::Global<v8::Function>> callers;
  // Threads whose V8 state is kept (archived) between this runtime's calls; see Prime.
  std::mutex primed_mu;
  std::unordered_set<std::thread::id> primed;
};

struct ijs_ret {
  v8::Isolate* isolate;
  v8::Local<v8::Context> context;
  const v8::FunctionCallbackInfo<v8::Value>* info;
  bool answered;
};

namespace {

// Threads per runtime whose V8 state is kept between calls (see Prime): a bound on what
// a host whose threads come and go leaves behind, a few KiB each.
constexpr size_t kPrimedThreads = 16;

// A v8::Locker that is the first on its thread sets the thread up for V8 (stack limits,
// handle scopes) on entry and frees it all on exit: on every call, about a fifth of a
// short one. A Locker taken while the thread's state is archived instead restores it,
// and archives it again lazily on exit (nothing is copied while the same thread keeps
// coming back). So the first call of a thread leaves a Locker and an Unlocker behind on
// purpose: the Unlocker archives the state and releases the isolate, and neither is ever
// destroyed (destroying them would re-lock the isolate). V8 frees the archived states
// when the isolate is disposed. Another thread taking the isolate copies the archived
// state out first, as V8 does for any Locker.
void Prime(ijs_rt* rt) {
  {
    std::lock_guard<std::mutex> guard(rt->primed_mu);
    if (rt->primed.size() >= kPrimedThreads ||
        !rt->primed.insert(std::this_thread::get_id()).second) {
      return;
    }
  }
  new v8::Locker(rt->isolate);
  new v8::Unlocker(rt->isolate);
}

struct Primed {
  explicit Primed(ijs_rt* rt) { Prime(rt); }
};

struct Enter {
  explicit Enter(ijs_rt* rt)
      : primed(rt),
        locker(rt->isolate),
        isolate_scope(rt->isolate),
        handles(rt->isolate),
        context(rt->context.Get(rt->isolate)),
        context_scope(context) {}
  Primed primed;
  v8::Locker locker;
  v8::Isolate::Scope isolate_scope;
  v8::HandleScope handles;
  v8::Local<v8::Context> context;
  v8::Context::Scope context_scope;
};

int Terminated(ijs_rt* rt) {
  rt->out.clear();
  return kTerminated;
}

// Throws an Error with `message` and the host error's `kind` and `limit` properties
// (each skipped when empty), as host functions' errors reach the script.
void ThrowHostError(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::String> message,
                    v8::MaybeLocal<v8::String> kind, v8::MaybeLocal<v8::String> limit) {
  v8::Local<v8::Value> err = v8::Exception::Error(message);
  v8::Local<v8::String> k, l;
  if (err->IsObject()) {
    v8::Local<v8::Object> obj = err.As<v8::Object>();
    if (kind.ToLocal(&k) && k->Length() > 0 && obj->Set(ctx, Lit(iso, "kind"), k).IsNothing()) return;
    if (limit.ToLocal(&l) && l->Length() > 0 && obj->Set(ctx, Lit(iso, "limit"), l).IsNothing()) return;
  }
  iso->ThrowException(err);
}

// Describes a caught exception (or termination) into rt->out and returns the status.
// Every text is capped (text.h) before it is copied.
int Caught(ijs_rt* rt, v8::Local<v8::Context> ctx, v8::TryCatch& tc) {
  v8::Isolate* iso = rt->isolate;
  if (tc.HasTerminated() || iso->IsExecutionTerminating()) return Terminated(rt);
  if (!tc.HasCaught()) {
    rt->out = "{\"name\":\"Error\",\"message\":\"unknown failure\",\"stack\":\"\"}";
    return kThrown;
  }
  v8::Local<v8::Value> ex = tc.Exception();
  std::string name = "Error", message, stack, kind, limit;
  {
    // Reading the exception may run the script (getters, toString): what that throws is
    // dropped, and a loop in it is stopped by the watchdog like any other.
    v8::TryCatch reading(iso);
    v8::Local<v8::Value> v;
    if (ex->IsObject()) {
      v8::Local<v8::Object> obj = ex.As<v8::Object>();
      auto field = [&](v8::Local<v8::String> key, std::string& into) {
        if (obj->Get(ctx, key).ToLocal(&v) && v->IsString())
          into = ijs::Capped(iso, v.As<v8::String>(), kShortCap);
      };
      field(Lit(iso, "name"), name);
      field(Lit(iso, "kind"), kind);
      field(Lit(iso, "limit"), limit);
      bool has_message = obj->Get(ctx, Lit(iso, "message")).ToLocal(&v) && !v->IsUndefined();
      message = ijs::Text(iso, ctx, has_message ? v : ex, rt->max_message);
    } else {
      name = "Thrown";
      message = ijs::Text(iso, ctx, ex, rt->max_message);
    }
    if (tc.StackTrace(ctx).ToLocal(&v) && v->IsString()) {
      stack = ijs::Capped(iso, v.As<v8::String>(), rt->max_message);
    }
    // A SyntaxError (thrown while compiling) or a thrown non-Error has no frames: where
    // it happened is in the message, added as a frame so the place reads as in a stack.
    if (stack.find("\n    at ") == std::string::npos && !tc.Message().IsEmpty()) {
      v8::Local<v8::Message> msg = tc.Message();
      std::string where = ijs::Text(iso, ctx, msg->GetScriptResourceName(), kShortCap) + ":" +
                          std::to_string(msg->GetLineNumber(ctx).FromMaybe(0)) + ":" +
                          std::to_string(msg->GetStartColumn(ctx).FromMaybe(0) + 1);
      stack = (stack.empty() ? std::string() : stack + "\n") + "    at " + where;
    }
    if (reading.HasTerminated() || iso->IsExecutionTerminating()) return Terminated(rt);
  }
  using ijs::JsonQuote;
  rt->out = "{\"name\":" + JsonQuote(name) + ",\"message\":" + JsonQuote(message) +
            ",\"stack\":" + JsonQuote(stack);
  if (!kind.empty()) rt->out += ",\"kind\":" + JsonQuote(kind);
  if (!limit.empty()) rt->out += ",\"limit\":" + JsonQuote(limit);
  rt->out += "}";
  return kThrown;
}

// Settles a returned promise by running microtasks; replaces `value` with its result.
int Settle(ijs_rt* rt, v8::Local<v8::Context> ctx, v8::TryCatch& tc, v8::Local<v8::Value>& value) {
  if (!value->IsPromise()) return kOk;
  v8::Local<v8::Promise> p = value.As<v8::Promise>();
  rt->isolate->PerformMicrotaskCheckpoint();
  if (rt->isolate->IsExecutionTerminating()) return Terminated(rt);
  switch (p->State()) {
    case v8::Promise::kFulfilled:
      value = p->Result();
      return kOk;
    case v8::Promise::kRejected:
      rt->isolate->ThrowException(p->Result());
      return Caught(rt, ctx, tc);
    default:
      rt->out = "the returned promise did not settle (waiting on something the host does "
                "not provide)";
      return kFailed;
  }
}

// Serializes a call's result as JSON into rt->out, within max_message bytes.
int Result(ijs_rt* rt, v8::Local<v8::Context> ctx, v8::TryCatch& tc, v8::Local<v8::Value> value) {
  rt->out.clear();
  switch (ijs::AppendJson(rt->isolate, ctx, value, rt->out, rt->max_message)) {
    case ijs::Appended::kDone:
      return kOk;
    case ijs::Appended::kThrew:
      return Caught(rt, ctx, tc);
    case ijs::Appended::kTooLarge:
      break;
  }
  rt->out.clear();
  return kTooLarge;
}

// What `ijs_call` runs: per dotted path ("plugin.greet"), a function compiled for it that
// reads the path from the global object and calls what it finds, with the path's last
// object as `this`. The path is read on every call, so a reassigned method is seen; but
// it is read by JS, where each name is a property load V8 caches, rather than by the
// embedder API's `Object::Get`, which looks each name up afresh (most of a short call's
// cost). The global object, `Reflect.apply`, the two markers and the empty argument list
// are taken when the runtime is made, before any script runs, so a script cannot change
// what a call means.
constexpr char kCallerHead[] = R"JS((function (global, apply, notFound, notAFunction, none) {
  "use strict";
  return function call(args) {
    let holder = global;
    let value = global;
)JS";
constexpr char kCallerStep[] = R"JS(    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      return notFound;
    }
    holder = value;
)JS";
constexpr char kCallerTail[] = R"JS(    if (typeof value !== "function") {
      return value === undefined ? notFound : notAFunction;
    }
    return apply(value, holder, args === undefined ? none : args);
  };
}))JS";

// Appends `text` to `out` as a JS string literal (JSON's escapes, which JS shares).
void AppendQuoted(std::string& out, const char* text, size_t len) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// Takes what every caller is made with (see kCallerHead) from a fresh context; false if
// V8 fails to.
bool InstallCaller(ijs_rt* rt, v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = rt->isolate;
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> reflect, apply;
  if (!ctx->Global()->Get(ctx, Lit(iso, "Reflect")).ToLocal(&reflect) ||
      !reflect->IsObject() ||
      !reflect.As<v8::Object>()->Get(ctx, Lit(iso, "apply")).ToLocal(&apply) ||
      !apply->IsFunction()) {
    return false;
  }
  v8::Local<v8::Array> none = v8::Array::New(iso);
  if (none->SetIntegrityLevel(ctx, v8::IntegrityLevel::kFrozen).IsNothing()) return false;
  rt->apply.Reset(iso, apply.As<v8::Function>());
  rt->not_found.Reset(iso, v8::Object::New(iso));
  rt->not_a_function.Reset(iso, v8::Object::New(iso));
  rt->no_args.Reset(iso, none);
  return true;
}

// The caller of a dotted path, compiled on its first call and kept; empty when the path
// is longer than a V8 string may be, or V8 failed (then `tc` has caught why).
v8::MaybeLocal<v8::Function> Caller(ijs_rt* rt, v8::Local<v8::Context> ctx, const char* path,
                                    size_t len) {
  v8::Isolate* iso = rt->isolate;
  std::string key(path, len);
  auto it = rt->callers.find(key);
  if (it != rt->callers.end()) return it->second.Get(iso);
  std::string source = kCallerHead;
  size_t start = 0;
  while (start <= len) {
    size_t end = start;
    while (end < len && path[end] != '.') end++;
    source += kCallerStep;
    source += "    value = holder[";
    AppendQuoted(source, path + start, end - start);
    source += "];\n";
    start = end + 1;
  }
  source += kCallerTail;
  v8::Local<v8::String> text;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> factory, made;
  v8::ScriptOrigin origin(iso, Lit(iso, "<interop>"));
  if (!Str(iso, source.data(), source.size()).ToLocal(&text) ||
      !v8::Script::Compile(ctx, text, &origin).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&factory) || !factory->IsFunction()) {
    return {};
  }
  v8::Local<v8::Value> argv[] = {ctx->Global(), rt->apply.Get(iso), rt->not_found.Get(iso),
                                 rt->not_a_function.Get(iso), rt->no_args.Get(iso)};
  if (!factory.As<v8::Function>()->Call(ctx, v8::Undefined(iso), 5, argv).ToLocal(&made) ||
      !made->IsFunction()) {
    return {};
  }
  v8::Local<v8::Function> caller = made.As<v8::Function>();
  rt->callers.emplace(std::move(key), v8::Global<v8::Function>(iso, caller));
  return caller;
}

// Ends an eval or call: an exception after the runtime's budget refused an allocation
// (V8's RangeError, or whatever the script made of it) is the budget's doing, and a call
// during which the heap went past its limit is stopped even if it finished before the
// termination took effect (inside a builtin that does not check for it).
int Finish(ijs_rt* rt, int status, const char** out, size_t* out_len) {
  if (status == kThrown && rt->budget->Refused()) status = kOverBudget;
  if (rt->heap->HitAfterCall()) status = Terminated(rt);
  *out = rt->out.data();
  *out_len = rt->out.size();
  return status;
}

void HostTrampoline(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  auto* rt = static_cast<ijs_rt*>(iso->GetData(0));
  uint32_t id = info.Data().As<v8::Uint32>()->Value();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  std::string args;
  if (info.Length() > 0) {
    args += '[';
    for (int i = 0; i < info.Length(); i++) {
      if (i > 0) args += ',';
      switch (ijs::AppendJson(iso, ctx, info[i], args, rt->max_message)) {
        case ijs::Appended::kDone:
          break;
        case ijs::Appended::kThrew:
          return;  // the exception is pending
        case ijs::Appended::kTooLarge: {
          std::string message = "message_size limit exceeded: the arguments of a host function "
                                "are over the " + std::to_string(rt->max_message) +
                                "-byte limit";
          ThrowHostError(iso, ctx, Str(iso, message.data(), message.size()).ToLocalChecked(),
                         Lit(iso, "limit_exceeded"), Lit(iso, "message_size"));
          return;
        }
      }
    }
    args += ']';
  }
  ijs_ret ret{iso, ctx, &info, false};
  rt->cb(rt->user, id, args.data(), args.size(), &ret);
}

}  // namespace

extern "C" {

void ijs_init(const char* flags, size_t flags_len) {
  std::call_once(g_init_once, [&] {
    if (flags_len > 0) v8::V8::SetFlagsFromString(flags, flags_len);
    g_platform = std::make_unique<ijs::BudgetedPlatform>(v8::platform::NewDefaultPlatform(1));
    v8::V8::InitializePlatform(g_platform.get());
    v8::V8::Initialize();
  });
}

void ijs_free(ijs_rt* rt);

ijs_rt* ijs_new(size_t heap_limit, size_t buffer_limit, size_t max_message, ijs_host_cb cb,
                void* user) {
  auto* rt = new ijs_rt();
  rt->cb = cb;
  rt->user = user;
  rt->max_message = max_message;
  rt->heap = std::make_unique<ijs::HeapLimit>(heap_limit);
  rt->budget = std::make_shared<ijs::Budget>(buffer_limit);
  rt->allocator = new ijs::BudgetedAllocator(rt->budget);
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = rt->allocator;
  rt->heap->Configure(params.constraints);
  rt->isolate = v8::Isolate::New(params);
  if (!rt->isolate) {
    delete rt->allocator;
    delete rt;
    return nullptr;
  }
  rt->isolate->SetData(0, rt);
  rt->isolate->SetData(ijs::kBudgetSlot, &rt->budget);
  rt->heap->Watch(rt->isolate);
  bool installed = false;
  {
    v8::Locker locker(rt->isolate);
    v8::Isolate::Scope scope(rt->isolate);
    v8::HandleScope handles(rt->isolate);
    v8::Local<v8::Context> ctx = v8::Context::New(rt->isolate);
    rt->context.Reset(rt->isolate, ctx);
    v8::Context::Scope context_scope(ctx);
    installed = InstallCaller(rt, ctx);
  }
  if (!installed) {
    ijs_free(rt);
    return nullptr;
  }
  return rt;
}

void ijs_free(ijs_rt* rt) {
  if (!rt) return;
  {
    v8::Locker locker(rt->isolate);
    v8::Isolate::Scope scope(rt->isolate);
    rt->callers.clear();
    rt->apply.Reset();
    rt->not_found.Reset();
    rt->not_a_function.Reset();
    rt->no_args.Reset();
    rt->context.Reset();
  }
  rt->isolate->Dispose();
  delete rt->allocator;
  delete rt;
}

// Thread-safe: stops the JS running in `rt` (no effect when none runs).
void ijs_terminate(ijs_rt* rt) { rt->isolate->TerminateExecution(); }

// Clears a termination request; returns whether the heap limit had been hit since the
// last call (and resets that flag).
int ijs_after_terminate(ijs_rt* rt) {
  {
    v8::Locker locker(rt->isolate);
    rt->isolate->CancelTerminateExecution();
  }
  return rt->heap->TakeHit() ? 1 : 0;
}

int ijs_eval(ijs_rt* rt, const char* src, size_t len, const char* name, size_t name_len,
             const char** out, size_t* out_len) {
  Enter e(rt);
  rt->budget->ClearRefused();
  v8::Isolate* iso = rt->isolate;
  v8::TryCatch tc(iso);
  int status = kOk;
  v8::Local<v8::String> source, script_name;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> value;
  if (!Str(iso, src, len).ToLocal(&source) || !Str(iso, name, name_len).ToLocal(&script_name)) {
    rt->out = "the script is larger than V8 strings may be";
    status = kFailed;
  } else {
    v8::ScriptOrigin origin(iso, script_name);
    if (!v8::Script::Compile(e.context, source, &origin).ToLocal(&script) ||
        !script->Run(e.context).ToLocal(&value)) {
      status = Caught(rt, e.context, tc);
    } else if ((status = Settle(rt, e.context, tc, value)) == kOk) {
      status = Result(rt, e.context, tc, value);
    }
  }
  return Finish(rt, status, out, out_len);
}

int ijs_call(ijs_rt* rt, const char* path, size_t path_len, const char* args, size_t args_len,
             const char** out, size_t* out_len) {
  Enter e(rt);
  rt->budget->ClearRefused();
  v8::Isolate* iso = rt->isolate;
  v8::TryCatch tc(iso);
  int status = kOk;
  v8::Local<v8::Function> caller;
  v8::Local<v8::Value> list, value;
  if (!Caller(rt, e.context, path, path_len).ToLocal(&caller)) {
    status = tc.HasCaught() || tc.HasTerminated() ? Caught(rt, e.context, tc) : kFailed;
    if (status == kFailed) rt->out = "not found";
  } else if (args_len > 0) {
    v8::Local<v8::String> text;
    if (!Str(iso, args, args_len).ToLocal(&text)) {
      rt->out = "the arguments are larger than V8 strings may be";
      status = kFailed;
    } else if (!v8::JSON::Parse(e.context, text).ToLocal(&list) || !list->IsArray()) {
      status = tc.HasCaught() ? Caught(rt, e.context, tc) : kFailed;
      if (status == kFailed) rt->out = "arguments are not a JSON array";
    }
  }
  if (status != kOk) return Finish(rt, status, out, out_len);
  if (!caller->Call(e.context, v8::Undefined(iso), args_len > 0 ? 1 : 0, &list)
           .ToLocal(&value)) {
    status = Caught(rt, e.context, tc);
  } else if (value->StrictEquals(rt->not_found.Get(iso))) {
    rt->out = "not found";
    status = kFailed;
  } else if (value->StrictEquals(rt->not_a_function.Get(iso))) {
    rt->out = "not a function";
    status = kFailed;
  } else if ((status = Settle(rt, e.context, tc, value)) == kOk) {
    status = Result(rt, e.context, tc, value);
  }
  return Finish(rt, status, out, out_len);
}

// Sets global `path` (dotted; missing intermediate objects are created) to a host function
// that calls the runtime's callback with `id`, or to a JSON value.
static int Bind(ijs_rt* rt, const char* path, size_t path_len, bool is_fn, uint32_t id,
                const char* json, size_t json_len, const char** out, size_t* out_len) {
  Enter e(rt);
  v8::Isolate* iso = rt->isolate;
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> value;
  v8::Local<v8::String> text;
  int status = kOk;
  rt->out.clear();
  if (is_fn) {
    v8::Local<v8::Function> f;
    if (!v8::Function::New(e.context, HostTrampoline, v8::Integer::NewFromUnsigned(iso, id))
             .ToLocal(&f)) {
      status = Caught(rt, e.context, tc);
    } else {
      // The function's name is the last path segment, for stack traces.
      size_t last = path_len;
      while (last > 0 && path[last - 1] != '.') last--;
      v8::Local<v8::String> fn_name;
      if (Str(iso, path + last, path_len - last).ToLocal(&fn_name)) f->SetName(fn_name);
      value = f;
    }
  } else if (!Str(iso, json, json_len).ToLocal(&text)) {
    rt->out = "the value is larger than V8 strings may be";
    status = kFailed;
  } else if (!v8::JSON::Parse(e.context, text).ToLocal(&value)) {
    status = Caught(rt, e.context, tc);
  }
  if (status == kOk) {
    v8::Local<v8::Object> obj = e.context->Global();
    size_t start = 0;
    while (status == kOk) {
      size_t end = start;
      while (end < path_len && path[end] != '.') end++;
      v8::Local<v8::String> key;
      if (!Str(iso, path + start, end - start).ToLocal(&key)) {
        rt->out = "the name is larger than V8 strings may be";
        status = kFailed;
        break;
      }
      if (end >= path_len) {
        if (obj->Set(e.context, key, value).IsNothing()) status = Caught(rt, e.context, tc);
        break;
      }
      v8::Local<v8::Value> next;
      if (!obj->Get(e.context, key).ToLocal(&next)) {
        status = Caught(rt, e.context, tc);
      } else if (!next->IsObject()) {
        next = v8::Object::New(iso);
        if (obj->Set(e.context, key, next).IsNothing()) status = Caught(rt, e.context, tc);
      }
      if (status == kOk) obj = next.As<v8::Object>();
      start = end + 1;
    }
  }
  *out = rt->out.data();
  *out_len = rt->out.size();
  return status;
}

int ijs_bind_function(ijs_rt* rt, const char* path, size_t path_len, uint32_t id,
                      const char** out, size_t* out_len) {
  return Bind(rt, path, path_len, true, id, nullptr, 0, out, out_len);
}

int ijs_bind_json(ijs_rt* rt, const char* path, size_t path_len, const char* json,
                  size_t json_len, const char** out, size_t* out_len) {
  return Bind(rt, path, path_len, false, 0, json, json_len, out, out_len);
}

// Answers a host function call with a JSON value (empty: undefined).
void ijs_ret_json(ijs_ret* ret, const char* json, size_t len) {
  ret->answered = true;
  if (len == 0) return;
  // Most host functions answer `null` or a boolean: no string and no parser for those.
  std::string_view literal(json, len);
  if (literal == "null") return ret->info->GetReturnValue().SetNull();
  if (literal == "true") return ret->info->GetReturnValue().Set(true);
  if (literal == "false") return ret->info->GetReturnValue().Set(false);
  v8::Isolate* iso = ret->isolate;
  v8::Local<v8::String> text;
  if (!Str(iso, json, len).ToLocal(&text)) {
    ThrowHostError(iso, ret->context,
                   Lit(iso, "message_size limit exceeded: the host's answer is larger than "
                            "JavaScript strings may be"),
                   Lit(iso, "limit_exceeded"), Lit(iso, "message_size"));
    return;
  }
  v8::Local<v8::Value> v;
  if (v8::JSON::Parse(ret->context, text).ToLocal(&v)) ret->info->GetReturnValue().Set(v);
}

// Answers a host function call by throwing an Error with `message` and `kind` and (when
// not empty) `limit` properties.
void ijs_ret_error(ijs_ret* ret, const char* message, size_t len, const char* kind,
                   size_t kind_len, const char* limit, size_t limit_len) {
  ret->answered = true;
  v8::Isolate* iso = ret->isolate;
  v8::Local<v8::String> text;
  if (!Str(iso, message, len).ToLocal(&text)) text = Lit(iso, "(a host error too large to show)");
  ThrowHostError(iso, ret->context, text, Str(iso, kind, kind_len), Str(iso, limit, limit_len));
}

// Bytes used by the runtime's V8 heap.
size_t ijs_heap_used(ijs_rt* rt) {
  v8::Locker locker(rt->isolate);
  v8::HeapStatistics stats;
  rt->isolate->GetHeapStatistics(&stats);
  return stats.used_heap_size();
}

}  // extern "C"
