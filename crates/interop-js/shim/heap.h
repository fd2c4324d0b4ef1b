// The runtime's heap limit, enforced without letting V8 abort the process where it can be.
//
// V8 aborts the whole process when an allocation cannot fit under the heap's hard limit
// ("Fatal javascript OOM": `new Array(4e6).fill(1.5)`, 32 MB, did in a 16 MiB isolate),
// and it calls the near-heap-limit callback only when the heap as a whole reaches that
// limit, never for one allocation that would pass it. Large new objects even bypass the
// limit until they are promoted. So V8's hard limit sits `kHeadroom` above the runtime's
// own (room for V8's largest objects, 1 GiB: a FixedArray or a two-byte string at their
// maximum length), and the runtime's limit is enforced here:
//
// - after each full collection (V8 starts the first at the runtime's limit, and the next
//   ones as the heap grows), when the live heap is over the limit;
// - at the end of each call, when V8's large-object spaces (where big allocations go,
//   without any collection) hold more than the limit;
// - at the hard limit itself (a builtin that allocates without checking for
//   termination), V8's callback gives it a little more room, once, to unwind the script.
//
// Each stops the script (TerminateExecution) and marks the limit as hit. What V8 still
// aborts on (an allocation past even the headroom, an array or string past V8's maximum
// size) cannot be caught in the process.

#pragma once

#include <v8.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <vector>

namespace ijs {

class HeapLimit {
 public:
  static constexpr size_t kHeadroom = (size_t{1} << 30) + (size_t{64} << 20);
  // What the near-heap-limit callback adds, once, to unwind a script at the hard limit.
  static constexpr size_t kUnwindRoom = size_t{64} << 20;

  // A limit of `limit` bytes (0: none but V8's defaults).
  explicit HeapLimit(size_t limit) : limit_(limit) {}

  // Sets the isolate's heap sizes.
  void Configure(v8::ResourceConstraints& constraints) const {
    if (limit_ == 0) return;
    constraints.ConfigureDefaultsFromHeapSize(0, limit_);
    size_t old_space = constraints.max_old_generation_size_in_bytes();
    // The first full collection at the runtime's limit (V8 would wait for half the hard
    // limit), the hard limit far above it.
    constraints.set_initial_old_generation_size_in_bytes(
        old_space > (size_t{1} << 20) ? old_space : (size_t{1} << 20));
    constraints.set_max_old_generation_size_in_bytes(old_space + kHeadroom);
  }

  // Installs the checks on the new isolate.
  void Watch(v8::Isolate* isolate) {
    isolate_ = isolate;
    isolate->AddNearHeapLimitCallback(AtHardLimit, this);
    isolate->AutomaticallyRestoreInitialHeapLimit(0.5);
    if (limit_ == 0) return;
    isolate->AddGCEpilogueCallback(AfterFullGc, this, v8::kGCTypeMarkSweepCompact);
    v8::HeapSpaceStatistics space;
    for (size_t i = 0; i < isolate->NumberOfHeapSpaces(); i++) {
      if (isolate->GetHeapSpaceStatistics(&space, i) &&
          std::strstr(space.space_name(), "large_object_space")) {
        large_spaces_.push_back(i);
      }
    }
  }

  // At the end of a call: whether the limit was hit during it or is now. When it was, the
  // garbage the stopped script left is collected, so that it does not count against the
  // next call (what the script still holds does).
  bool HitAfterCall() {
    if (limit_ == 0) return hit_;
    if (!hit_) {
      size_t large = 0;
      v8::HeapSpaceStatistics space;
      for (size_t i : large_spaces_) {
        if (isolate_->GetHeapSpaceStatistics(&space, i)) large += space.space_used_size();
      }
      if (large <= limit_) return false;
      Stop();
    }
    isolate_->LowMemoryNotification();
    return true;
  }

  // Whether the limit was hit since the last call of this (which forgets it).
  bool TakeHit() { return hit_.exchange(false); }

 private:
  static void AfterFullGc(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
    auto* self = static_cast<HeapLimit*>(data);
    v8::HeapStatistics stats;
    isolate->GetHeapStatistics(&stats);
    if (stats.used_heap_size() > self->limit_) self->Stop();
  }

  static size_t AtHardLimit(void* data, size_t current, size_t initial) {
    auto* self = static_cast<HeapLimit*>(data);
    self->Stop();
    return current < initial + kUnwindRoom ? current + kUnwindRoom : current;
  }

  void Stop() {
    hit_ = true;
    isolate_->TerminateExecution();
  }

  const size_t limit_;
  v8::Isolate* isolate_ = nullptr;
  std::atomic<bool> hit_{false};
  // Indices of V8's large-object spaces in its heap space statistics.
  std::vector<size_t> large_spaces_;
};

}  // namespace ijs
