// Memory a runtime takes outside its V8 heap, held to the runtime's budget.
//
// V8 allocates it in two places, and both are covered here:
//
// - ArrayBuffer and SharedArrayBuffer backing stores (typed arrays, DataViews, wasm module
//   bytes...) go through the isolate's v8::ArrayBuffer::Allocator: BudgetedAllocator.
// - WebAssembly memories do not: V8 10.2 reserves them through the platform's page
//   allocator (a no-access reservation of the memory's maximum size, aligned to the 64 KiB
//   wasm page, of which the current size is then made read-write). BudgetedPageAllocator
//   counts those reservations against the budget of the runtime whose isolate the
//   reserving thread is in, and refuses one past it. Refusing the reservation, never the
//   commit, matters: V8 treats a failed commit of a reserved wasm memory as a fatal
//   out-of-memory, while a refused reservation becomes a RangeError (after V8 retried
//   with maximum = initial size, so a memory without a maximum still works, grown by
//   copying).
//
// A refusal also marks the budget, so that a call failing after it is reported as a
// memory limit (see ijs_eval / ijs_call).

#pragma once

#include <libplatform/libplatform.h>
#include <v8.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace ijs {

// Live bytes of one runtime outside its heap, against a limit.
class Budget {
 public:
  explicit Budget(size_t limit) : limit_(limit) {}

  // Takes `n` bytes if they fit; a refusal is remembered until the next success.
  bool Take(size_t n) {
    size_t before = used_.fetch_add(n);
    if (before + n < before || before + n > limit_) {
      used_ -= n;
      refused_ = true;
      return false;
    }
    refused_ = false;
    return true;
  }
  void Give(size_t n) { used_ -= n; }

  // Whether the last allocation asked of this budget was refused.
  bool Refused() const { return refused_; }
  void ClearRefused() { refused_ = false; }
  size_t Used() const { return used_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
  std::atomic<bool> refused_{false};
};

// The isolate data slot holding a `std::shared_ptr<Budget>*` for the page allocator.
constexpr uint32_t kBudgetSlot = 1;

// ArrayBuffer backing stores, counted against a budget: past it, allocation fails and
// V8 throws a RangeError (after collecting garbage and retrying).
class BudgetedAllocator : public v8::ArrayBuffer::Allocator {
 public:
  explicit BudgetedAllocator(std::shared_ptr<Budget> budget)
      : budget_(std::move(budget)), inner_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {}
  ~BudgetedAllocator() override { delete inner_; }

  void* Allocate(size_t length) override {
    if (!budget_->Take(length)) return nullptr;
    void* p = inner_->Allocate(length);
    if (!p) budget_->Give(length);
    return p;
  }
  void* AllocateUninitialized(size_t length) override {
    if (!budget_->Take(length)) return nullptr;
    void* p = inner_->AllocateUninitialized(length);
    if (!p) budget_->Give(length);
    return p;
  }
  void Free(void* data, size_t length) override {
    inner_->Free(data, length);
    budget_->Give(length);
  }

 private:
  std::shared_ptr<Budget> budget_;
  v8::ArrayBuffer::Allocator* inner_;
};

// The process's page allocator: V8's own, with WebAssembly memory reservations counted
// against the budget of the runtime that makes them.
class BudgetedPageAllocator : public v8::PageAllocator {
 public:
  explicit BudgetedPageAllocator(v8::PageAllocator* inner) : inner_(inner) {}

  size_t AllocatePageSize() override { return inner_->AllocatePageSize(); }
  size_t CommitPageSize() override { return inner_->CommitPageSize(); }
  void SetRandomMmapSeed(int64_t seed) override { inner_->SetRandomMmapSeed(seed); }
  void* GetRandomMmapAddr() override { return inner_->GetRandomMmapAddr(); }

  void* AllocatePages(void* address, size_t length, size_t alignment,
                      Permission permissions) override {
    std::shared_ptr<Budget> budget;
    if (IsWasmMemoryReservation(length, alignment, permissions)) budget = CurrentBudget();
    if (budget && !budget->Take(length)) return nullptr;
    void* p = inner_->AllocatePages(address, length, alignment, permissions);
    if (budget) {
      if (!p) {
        budget->Give(length);
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        reserved_[p] = {std::move(budget), length};
      }
    }
    return p;
  }

  bool FreePages(void* address, size_t length) override {
    Forget(address, length);
    return inner_->FreePages(address, length);
  }

  bool ReleasePages(void* address, size_t length, size_t new_length) override {
    Forget(address, length - new_length, new_length);
    return inner_->ReleasePages(address, length, new_length);
  }

  bool SetPermissions(void* address, size_t length, Permission permissions) override {
    return inner_->SetPermissions(address, length, permissions);
  }
  bool DiscardSystemPages(void* address, size_t size) override {
    return inner_->DiscardSystemPages(address, size);
  }
  bool DecommitPages(void* address, size_t size) override {
    return inner_->DecommitPages(address, size);
  }

 private:
  static constexpr size_t kWasmPageSize = 64 * 1024;

  // V8 reserves a wasm memory as a whole number of wasm pages, aligned to one, with no
  // access; the heap's own pages are aligned to 256 KiB and code to the OS page.
  static bool IsWasmMemoryReservation(size_t length, size_t alignment, Permission p) {
    return alignment == kWasmPageSize && length % kWasmPageSize == 0 && p == kNoAccess;
  }

  // The budget of the runtime whose isolate this thread is in, if any.
  static std::shared_ptr<Budget> CurrentBudget() {
    v8::Isolate* isolate = v8::Isolate::TryGetCurrent();
    if (!isolate) return nullptr;
    auto* budget = static_cast<std::shared_ptr<Budget>*>(isolate->GetData(kBudgetSlot));
    return budget ? *budget : nullptr;
  }

  // Gives back `freed` bytes of the reservation at `address`, which keeps `kept`.
  void Forget(void* address, size_t freed, size_t kept = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = reserved_.find(address);
    if (it == reserved_.end()) return;
    it->second.first->Give(freed);
    if (kept == 0) {
      reserved_.erase(it);
    } else {
      it->second.second = kept;
    }
  }

  v8::PageAllocator* inner_;
  std::mutex mu_;
  // Start of each counted reservation -> its budget and size.
  std::unordered_map<void*, std::pair<std::shared_ptr<Budget>, size_t>> reserved_;
};

// V8's default platform, with BudgetedPageAllocator as its page allocator.
class BudgetedPlatform : public v8::Platform {
 public:
  explicit BudgetedPlatform(std::unique_ptr<v8::Platform> inner)
      : inner_(std::move(inner)), pages_(inner_->GetPageAllocator()) {}

  v8::PageAllocator* GetPageAllocator() override { return &pages_; }

  v8::ZoneBackingAllocator* GetZoneBackingAllocator() override {
    return inner_->GetZoneBackingAllocator();
  }
  void OnCriticalMemoryPressure() override { inner_->OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override {
    return inner_->OnCriticalMemoryPressure(length);
  }
  int NumberOfWorkerThreads() override { return inner_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return inner_->GetForegroundTaskRunner(isolate);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallOnWorkerThread(std::move(task));
  }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay) override {
    inner_->CallDelayedOnWorkerThread(std::move(task), delay);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override {
    return inner_->IdleTasksEnabled(isolate);
  }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job) override {
    return inner_->PostJob(priority, std::move(job));
  }
  double MonotonicallyIncreasingTime() override {
    return inner_->MonotonicallyIncreasingTime();
  }
  double CurrentClockTimeMillis() override { return inner_->CurrentClockTimeMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return inner_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override {
    return inner_->GetTracingController();
  }
  void DumpWithoutCrashing() override { inner_->DumpWithoutCrashing(); }
  v8::HighAllocationThroughputObserver* GetHighAllocationThroughputObserver() override {
    return inner_->GetHighAllocationThroughputObserver();
  }

 private:
  std::unique_ptr<v8::Platform> inner_;
  BudgetedPageAllocator pages_;
};

}  // namespace ijs
