// shmkv native addon: thin wrappers over the Linux system calls the segment
// layer needs (POSIX shm, System V shm, mmap, futex, robust pthread mutexes,
// OFD locks), a listening TCP socket for the server, the C library's sin/cos/asin (GEO must
// round as Redis does) and its memmove (V8 copies shared memory a byte at a time). No policy lives here:
// every decision is made in src/shm/*.ts and src/server/*.ts.
//
// Written against node.h / v8.h directly (not N-API) because N-API in Node 20
// cannot create an external SharedArrayBuffer (see shared/FACTS-native.md).
// That ties the binary to one Node major; `npm install` rebuilds it.
//
// Errors: every failing call throws an Error with .code (errno name),
// .errno (number) and .syscall, message "syscall detail: CODE (strerror)".

#include <node.h>
#include <v8.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ipc.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <linux/filter.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <mutex>
#include <string>
#include <unordered_map>

namespace shmkv {

using v8::Array;
using v8::Context;
using v8::Exception;
using v8::FunctionCallbackInfo;
using v8::Integer;
using v8::Isolate;
using v8::Local;
using v8::Number;
using v8::Object;
using v8::SharedArrayBuffer;
using v8::String;
using v8::Value;

// ---------------------------------------------------------------------------
// helpers

static Local<String> Str(Isolate* iso, const char* s) {
  return String::NewFromUtf8(iso, s).ToLocalChecked();
}

static void Set(Isolate* iso, Local<Object> o, const char* k, Local<Value> v) {
  o->Set(iso->GetCurrentContext(), Str(iso, k), v).Check();
}

static void SetNum(Isolate* iso, Local<Object> o, const char* k, double v) {
  Set(iso, o, k, Number::New(iso, v));
}

static const char* ErrName(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : "EUNKNOWN";
}

// Throws Error("syscall detail: CODE (strerror)") with code/errno/syscall.
static void ThrowErrno(Isolate* iso, int err, const char* syscall,
                       const std::string& detail = std::string()) {
  std::string msg = syscall;
  if (!detail.empty()) {
    msg += " ";
    msg += detail;
  }
  msg += ": ";
  msg += ErrName(err);
  msg += " (";
  msg += strerror(err);
  msg += ")";
  Local<Value> e = Exception::Error(Str(iso, msg.c_str()));
  Local<Object> o = e.As<Object>();
  Set(iso, o, "code", Str(iso, ErrName(err)));
  Set(iso, o, "errno", Integer::New(iso, err));
  Set(iso, o, "syscall", Str(iso, syscall));
  iso->ThrowException(e);
}

// Argument errors are thrown as TypeError/RangeError with code EINVAL.
static void ThrowArg(Isolate* iso, const char* fn, const char* what) {
  std::string msg = std::string(fn) + ": " + what;
  Local<Value> e = Exception::TypeError(Str(iso, msg.c_str()));
  Set(iso, e.As<Object>(), "code", Str(iso, "EINVAL"));
  Set(iso, e.As<Object>(), "errno", Integer::New(iso, EINVAL));
  Set(iso, e.As<Object>(), "syscall", Str(iso, fn));
  iso->ThrowException(e);
}

// A non-negative integer up to 2^53 (file sizes, offsets, lengths).
static bool GetSize(Local<Value> v, uint64_t* out) {
  if (v->IsUint32()) {
    *out = v.As<v8::Uint32>()->Value();
    return true;
  }
  if (!v->IsNumber()) return false;
  double d = v.As<Number>()->Value();
  if (!(d >= 0) || d > 9007199254740992.0 || std::floor(d) != d) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

static bool GetInt(Local<Value> v, int64_t* out) {
  if (v->IsInt32()) {
    *out = v.As<v8::Int32>()->Value();
    return true;
  }
  if (!v->IsNumber()) return false;
  double d = v.As<Number>()->Value();
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740992.0) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

#define ARG_SIZE(i, name)                                         \
  uint64_t name;                                                  \
  if (!GetSize(args[i], &name)) {                                 \
    ThrowArg(iso, FN, #name " must be a non-negative integer");   \
    return;                                                       \
  }
#define ARG_INT(i, name)                          \
  int64_t name;                                   \
  if (!GetInt(args[i], &name)) {                  \
    ThrowArg(iso, FN, #name " must be an integer"); \
    return;                                       \
  }

// Pointer into a SAB at [off, off+len), bounds checked.
static char* SabPtr(Isolate* iso, const char* FN, Local<Value> sabv, Local<Value> offv,
                    uint64_t len, uint64_t align) {
  if (!sabv->IsSharedArrayBuffer()) {
    ThrowArg(iso, FN, "first argument must be a SharedArrayBuffer");
    return nullptr;
  }
  uint64_t off;
  if (!GetSize(offv, &off)) {
    ThrowArg(iso, FN, "offset must be a non-negative integer");
    return nullptr;
  }
  SharedArrayBuffer* sab = SharedArrayBuffer::Cast(*sabv);
  uint64_t blen = sab->ByteLength();
  if (off > blen || len > blen - off) {
    ThrowArg(iso, FN, "offset/length out of the buffer's bounds");
    return nullptr;
  }
  if (align > 1 && (off % align) != 0) {
    ThrowArg(iso, FN, "offset is not aligned");
    return nullptr;
  }
  return static_cast<char*>(sab->Data()) + off;
}

static double TsMs(const struct timespec& ts) {
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// ---------------------------------------------------------------------------
// mappings handed to JS as SharedArrayBuffers
//
// Each mapping has a record so that an explicit release (unmap / shmdt) can
// find it by address. The deleter runs when V8 frees the backing store, on any
// thread: it only takes a C++ mutex and makes system calls.

enum MapKind { kMmap = 1, kShmat = 2 };

struct MapRecord {
  void* addr;
  size_t maplen;  // page-rounded length of the mapping
  MapKind kind;
  bool released;  // replaced by an anonymous mapping: munmap, never shmdt
};

static std::mutex g_maps_mu;
static std::unordered_map<void*, MapRecord*> g_maps;

static void MapDeleter(void* data, size_t length, void* deleter_data) {
  MapRecord* r = static_cast<MapRecord*>(deleter_data);
  {
    std::lock_guard<std::mutex> g(g_maps_mu);
    g_maps.erase(r->addr);
  }
  if (r->released || r->kind == kMmap)
    munmap(r->addr, r->maplen);
  else
    shmdt(r->addr);
  delete r;
}

static size_t PageRound(uint64_t n) {
  uint64_t ps = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return static_cast<size_t>((n + ps - 1) / ps * ps);
}

static Local<SharedArrayBuffer> WrapMapping(Isolate* iso, void* addr, size_t len, size_t maplen,
                                            MapKind kind) {
  MapRecord* r = new MapRecord{addr, maplen, kind, false};
  {
    std::lock_guard<std::mutex> g(g_maps_mu);
    g_maps[addr] = r;
  }
  std::unique_ptr<v8::BackingStore> bs =
      SharedArrayBuffer::NewBackingStore(addr, len, MapDeleter, r);
  return SharedArrayBuffer::New(iso, std::move(bs));
}

// ---------------------------------------------------------------------------
// POSIX shm and files

static void ShmOpen(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "shm_open";
  Isolate* iso = args.GetIsolate();
  if (!args[0]->IsString()) return ThrowArg(iso, FN, "name must be a string");
  String::Utf8Value name(iso, args[0]);
  ARG_INT(1, oflag);
  ARG_INT(2, mode);
  // glibc's shm_open adds O_NOFOLLOW|O_CLOEXEC: our fds never leak into children
  // (that matters: a child holding the fd would also hold our OFD locks).
  int fd = shm_open(*name, static_cast<int>(oflag), static_cast<mode_t>(mode));
  if (fd < 0) return ThrowErrno(iso, errno, FN, *name);
  args.GetReturnValue().Set(fd);
}

static void OpenFile(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "open";
  Isolate* iso = args.GetIsolate();
  if (!args[0]->IsString()) return ThrowArg(iso, FN, "path must be a string");
  String::Utf8Value path(iso, args[0]);
  ARG_INT(1, oflag);
  ARG_INT(2, mode);
  int fd;
  do {
    fd = open(*path, static_cast<int>(oflag) | O_CLOEXEC | O_NOFOLLOW, static_cast<mode_t>(mode));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ThrowErrno(iso, errno, FN, *path);
  args.GetReturnValue().Set(fd);
}

static void ShmUnlink(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "shm_unlink";
  Isolate* iso = args.GetIsolate();
  if (!args[0]->IsString()) return ThrowArg(iso, FN, "name must be a string");
  String::Utf8Value name(iso, args[0]);
  if (shm_unlink(*name) != 0) return ThrowErrno(iso, errno, FN, *name);
}

static void Close(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "close";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  // Linux always releases the fd, even on EINTR: never retry close.
  if (close(static_cast<int>(fd)) != 0 && errno != EINTR) return ThrowErrno(iso, errno, FN);
}

static void Ftruncate(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "ftruncate";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  ARG_SIZE(1, size);
  int rc;
  do {
    rc = ftruncate(static_cast<int>(fd), static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ThrowErrno(iso, errno, FN);
}

static void Fallocate(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "fallocate";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  ARG_INT(1, mode);
  ARG_SIZE(2, offset);
  ARG_SIZE(3, len);
  int rc;
  do {
    rc = fallocate(static_cast<int>(fd), static_cast<int>(mode), static_cast<off_t>(offset),
                   static_cast<off_t>(len));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ThrowErrno(iso, errno, FN);
}

static void Fstat(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "fstat";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  struct stat st;
  if (fstat(static_cast<int>(fd), &st) != 0) return ThrowErrno(iso, errno, FN);
  Local<Object> o = Object::New(iso);
  SetNum(iso, o, "dev", static_cast<double>(st.st_dev));
  SetNum(iso, o, "ino", static_cast<double>(st.st_ino));
  SetNum(iso, o, "mode", st.st_mode);
  SetNum(iso, o, "nlink", static_cast<double>(st.st_nlink));
  SetNum(iso, o, "uid", st.st_uid);
  SetNum(iso, o, "gid", st.st_gid);
  SetNum(iso, o, "size", static_cast<double>(st.st_size));
  SetNum(iso, o, "blocks", static_cast<double>(st.st_blocks));
  SetNum(iso, o, "atimeMs", TsMs(st.st_atim));
  SetNum(iso, o, "mtimeMs", TsMs(st.st_mtim));
  SetNum(iso, o, "ctimeMs", TsMs(st.st_ctim));
  args.GetReturnValue().Set(o);
}

static void Fchmod(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "fchmod";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  ARG_INT(1, mode);
  if (fchmod(static_cast<int>(fd), static_cast<mode_t>(mode)) != 0) return ThrowErrno(iso, errno, FN);
}

static void Fchown(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "fchown";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  ARG_INT(1, uid);
  ARG_INT(2, gid);
  if (fchown(static_cast<int>(fd), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0)
    return ThrowErrno(iso, errno, FN);
}

// mmap(fd, length, writable) -> SharedArrayBuffer over MAP_SHARED|MAP_NORESERVE.
static void Mmap(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "mmap";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  ARG_SIZE(1, length);
  bool writable = args[2]->BooleanValue(iso);
  if (length == 0) return ThrowArg(iso, FN, "length must be > 0");
  size_t maplen = PageRound(length);
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = mmap(nullptr, maplen, prot, MAP_SHARED | MAP_NORESERVE, static_cast<int>(fd), 0);
  if (p == MAP_FAILED) return ThrowErrno(iso, errno, FN);
  args.GetReturnValue().Set(WrapMapping(iso, p, static_cast<size_t>(length), maplen, kMmap));
}

// Replace a mapping made by mmap() or shmat() with an anonymous private zero
// mapping over the same addresses (one atomic mmap MAP_FIXED: no window in
// which another mapping could land there). For System V this is the detach:
// unmapping the shm vma decrements shm_nattch exactly like shmdt(2). Stale
// JS accesses then read zeros instead of crashing; the deleter munmaps later.
// Returns false if the buffer was already released.
static void Release(const FunctionCallbackInfo<Value>& args, const char* FN) {
  Isolate* iso = args.GetIsolate();
  if (!args[0]->IsSharedArrayBuffer()) return ThrowArg(iso, FN, "argument must be a SharedArrayBuffer");
  void* addr = SharedArrayBuffer::Cast(*args[0])->Data();
  std::lock_guard<std::mutex> g(g_maps_mu);
  auto it = g_maps.find(addr);
  if (it == g_maps.end()) return ThrowArg(iso, FN, "buffer was not made by mmap/shmat");
  MapRecord* r = it->second;
  if (r->released) return args.GetReturnValue().Set(false);
  void* p = mmap(addr, r->maplen, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return ThrowErrno(iso, errno, FN);
  r->released = true;
  args.GetReturnValue().Set(true);
}

static void Unmap(const FunctionCallbackInfo<Value>& args) { Release(args, "munmap"); }
static void Shmdt(const FunctionCallbackInfo<Value>& args) { Release(args, "shmdt"); }

static void Msync(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "msync";
  Isolate* iso = args.GetIsolate();
  ARG_SIZE(2, len);
  ARG_INT(3, flags);
  char* p = SabPtr(iso, FN, args[0], args[1], len, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  if (!p) return;
  if (msync(p, len, static_cast<int>(flags)) != 0) return ThrowErrno(iso, errno, FN);
}

static void Madvise(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "madvise";
  Isolate* iso = args.GetIsolate();
  ARG_SIZE(2, len);
  ARG_INT(3, advice);
  char* p = SabPtr(iso, FN, args[0], args[1], len, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  if (!p) return;
  if (madvise(p, len, static_cast<int>(advice)) != 0) return ThrowErrno(iso, errno, FN);
}

// ---------------------------------------------------------------------------
// System V

static void Ftok(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "ftok";
  Isolate* iso = args.GetIsolate();
  if (!args[0]->IsString()) return ThrowArg(iso, FN, "path must be a string");
  String::Utf8Value path(iso, args[0]);
  ARG_INT(1, proj);
  key_t k = ftok(*path, static_cast<int>(proj));
  if (k == -1) return ThrowErrno(iso, errno, FN, *path);
  args.GetReturnValue().Set(static_cast<int32_t>(k));
}

static void Shmget(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "shmget";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, key);
  ARG_SIZE(1, size);
  ARG_INT(2, flags);
  int id = shmget(static_cast<key_t>(key), static_cast<size_t>(size), static_cast<int>(flags));
  if (id < 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(key));
    return ThrowErrno(iso, errno, FN, buf);
  }
  args.GetReturnValue().Set(id);
}

static void Shmat(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "shmat";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, shmid);
  bool readonly = args[1]->BooleanValue(iso);
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "%lld", static_cast<long long>(shmid));
  struct shmid_ds ds;
  if (shmctl(static_cast<int>(shmid), IPC_STAT, &ds) != 0) return ThrowErrno(iso, errno, "shmctl", idbuf);
  void* p = shmat(static_cast<int>(shmid), nullptr, readonly ? SHM_RDONLY : 0);
  if (p == reinterpret_cast<void*>(-1)) return ThrowErrno(iso, errno, FN, idbuf);
  size_t len = ds.shm_segsz;
  args.GetReturnValue().Set(WrapMapping(iso, p, len, PageRound(len), kShmat));
}

static void Shmctl(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "shmctl";
  Isolate* iso = args.GetIsolate();
  Local<Context> ctx = iso->GetCurrentContext();
  ARG_INT(0, shmid);
  if (!args[1]->IsString()) return ThrowArg(iso, FN, "cmd must be 'IPC_STAT', 'IPC_SET' or 'IPC_RMID'");
  String::Utf8Value cmd(iso, args[1]);
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "%lld", static_cast<long long>(shmid));
  int id = static_cast<int>(shmid);
  struct shmid_ds ds;
  if (strcmp(*cmd, "IPC_STAT") == 0) {
    if (shmctl(id, IPC_STAT, &ds) != 0) return ThrowErrno(iso, errno, FN, idbuf);
    Local<Object> o = Object::New(iso);
    SetNum(iso, o, "key", static_cast<int32_t>(ds.shm_perm.__key));
    SetNum(iso, o, "uid", ds.shm_perm.uid);
    SetNum(iso, o, "gid", ds.shm_perm.gid);
    SetNum(iso, o, "cuid", ds.shm_perm.cuid);
    SetNum(iso, o, "cgid", ds.shm_perm.cgid);
    SetNum(iso, o, "mode", ds.shm_perm.mode & 0777);
    Set(iso, o, "dest", v8::Boolean::New(iso, (ds.shm_perm.mode & SHM_DEST) != 0));
    Set(iso, o, "locked", v8::Boolean::New(iso, (ds.shm_perm.mode & SHM_LOCKED) != 0));
    SetNum(iso, o, "size", static_cast<double>(ds.shm_segsz));
    SetNum(iso, o, "atimeMs", static_cast<double>(ds.shm_atime) * 1e3);
    SetNum(iso, o, "dtimeMs", static_cast<double>(ds.shm_dtime) * 1e3);
    SetNum(iso, o, "ctimeMs", static_cast<double>(ds.shm_ctime) * 1e3);
    SetNum(iso, o, "cpid", ds.shm_cpid);
    SetNum(iso, o, "lpid", ds.shm_lpid);
    SetNum(iso, o, "nattch", static_cast<double>(ds.shm_nattch));
    return args.GetReturnValue().Set(o);
  }
  if (strcmp(*cmd, "IPC_SET") == 0) {
    if (shmctl(id, IPC_STAT, &ds) != 0) return ThrowErrno(iso, errno, FN, idbuf);
    if (args[2]->IsObject()) {
      Local<Object> opts = args[2].As<Object>();
      Local<Value> v;
      int64_t n;
      if (opts->Get(ctx, Str(iso, "uid")).ToLocal(&v) && !v->IsUndefined()) {
        if (!GetInt(v, &n)) return ThrowArg(iso, FN, "uid must be an integer");
        ds.shm_perm.uid = static_cast<uid_t>(n);
      }
      if (opts->Get(ctx, Str(iso, "gid")).ToLocal(&v) && !v->IsUndefined()) {
        if (!GetInt(v, &n)) return ThrowArg(iso, FN, "gid must be an integer");
        ds.shm_perm.gid = static_cast<gid_t>(n);
      }
      if (opts->Get(ctx, Str(iso, "mode")).ToLocal(&v) && !v->IsUndefined()) {
        if (!GetInt(v, &n)) return ThrowArg(iso, FN, "mode must be an integer");
        ds.shm_perm.mode = static_cast<unsigned short>((ds.shm_perm.mode & ~0777) | (n & 0777));
      }
    }
    if (shmctl(id, IPC_SET, &ds) != 0) return ThrowErrno(iso, errno, FN, idbuf);
    return;
  }
  if (strcmp(*cmd, "IPC_RMID") == 0) {
    if (shmctl(id, IPC_RMID, nullptr) != 0) return ThrowErrno(iso, errno, FN, idbuf);
    return;
  }
  ThrowArg(iso, FN, "cmd must be 'IPC_STAT', 'IPC_SET' or 'IPC_RMID'");
}

// ---------------------------------------------------------------------------
// futex (shared, not _PRIVATE: the word lives in memory shared between processes)

static long Futex(void* uaddr, int op, int val, const struct timespec* ts) {
  return syscall(SYS_futex, uaddr, op, val, ts, nullptr, 0);
}

static void FutexWait(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "futex_wait";
  Isolate* iso = args.GetIsolate();
  ARG_INT(2, expected);
  ARG_INT(3, timeoutMs);
  char* p = SabPtr(iso, FN, args[0], args[1], 4, 4);
  if (!p) return;
  struct timespec ts, *tsp = nullptr;
  if (timeoutMs >= 0) {
    ts.tv_sec = timeoutMs / 1000;
    ts.tv_nsec = (timeoutMs % 1000) * 1000000L;
    tsp = &ts;
  }
  long rc = Futex(p, FUTEX_WAIT, static_cast<int>(expected), tsp);
  const char* res = "ok";
  if (rc != 0) {
    int err = errno;
    if (err == EAGAIN)
      res = "not-equal";
    else if (err == ETIMEDOUT)
      res = "timed-out";
    else if (err == EINTR)
      res = "ok";  // spurious wake-up: callers always re-check the word
    else
      return ThrowErrno(iso, err, FN);
  }
  args.GetReturnValue().Set(Str(iso, res));
}

static void FutexWake(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "futex_wake";
  Isolate* iso = args.GetIsolate();
  ARG_INT(2, count);
  char* p = SabPtr(iso, FN, args[0], args[1], 4, 4);
  if (!p) return;
  int n = count > INT32_MAX ? INT32_MAX : (count < 0 ? 0 : static_cast<int>(count));
  long rc = Futex(p, FUTEX_WAKE, n, nullptr);
  if (rc < 0) return ThrowErrno(iso, errno, FN);
  args.GetReturnValue().Set(static_cast<int32_t>(rc));
}

// ---------------------------------------------------------------------------
// robust process-shared mutex (hot path: one lock + one unlock per command;
// no allocation on success)

static const uint64_t kMutexReserved = 64;
static_assert(sizeof(pthread_mutex_t) <= kMutexReserved, "pthread_mutex_t must fit in 64 bytes");

static inline pthread_mutex_t* MutexAt(const FunctionCallbackInfo<Value>& args, const char* FN) {
  return reinterpret_cast<pthread_mutex_t*>(
      SabPtr(args.GetIsolate(), FN, args[0], args[1], kMutexReserved, 8));
}

static void MutexInit(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "pthread_mutex_init";
  Isolate* iso = args.GetIsolate();
  pthread_mutex_t* m = MutexAt(args, FN);
  if (!m) return;
  pthread_mutexattr_t a;
  int rc = pthread_mutexattr_init(&a);
  if (rc == 0) rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  // ERRORCHECK: relocking from the same thread reports EDEADLK instead of
  // hanging the process for ever.
  if (rc == 0) rc = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  if (rc == 0) {
    memset(m, 0, kMutexReserved);
    rc = pthread_mutex_init(m, &a);
  }
  pthread_mutexattr_destroy(&a);
  if (rc != 0) return ThrowErrno(iso, rc, FN);
}

// Tries of pthread_mutex_trylock before pthread_mutex_lock sleeps on the futex: glibc's
// robust mutexes do not spin, and the write lock is held for a few microseconds at a time
// (one command), far less than a futex sleep and wake-up cost the two processes; spinning
// that long lets a waiter take the lock in the holder's gap between two commands.
static const int kMutexSpins = 200;

static inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void MutexLock(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "pthread_mutex_lock";
  pthread_mutex_t* m = MutexAt(args, FN);
  if (!m) return;
  int rc = EBUSY;
  for (int i = 0; i < kMutexSpins && rc == EBUSY; i++) {
    rc = pthread_mutex_trylock(m);
    if (rc == EBUSY) CpuRelax();
  }
  if (rc == EBUSY) rc = pthread_mutex_lock(m);
  if (rc != 0 && rc != EOWNERDEAD) return ThrowErrno(args.GetIsolate(), rc, FN);
  args.GetReturnValue().Set(rc);
}

static void MutexTimedLock(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "pthread_mutex_clocklock";
  Isolate* iso = args.GetIsolate();
  ARG_INT(2, timeoutMs);
  pthread_mutex_t* m = MutexAt(args, FN);
  if (!m) return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (timeoutMs < 0) timeoutMs = 0;
  ts.tv_sec += timeoutMs / 1000;
  ts.tv_nsec += (timeoutMs % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  int rc = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
  if (rc != 0 && rc != EOWNERDEAD && rc != ETIMEDOUT) return ThrowErrno(iso, rc, FN);
  args.GetReturnValue().Set(rc);
}

static void MutexTryLock(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "pthread_mutex_trylock";
  pthread_mutex_t* m = MutexAt(args, FN);
  if (!m) return;
  int rc = pthread_mutex_trylock(m);
  if (rc != 0 && rc != EOWNERDEAD && rc != EBUSY) return ThrowErrno(args.GetIsolate(), rc, FN);
  args.GetReturnValue().Set(rc);
}

static void MutexUnlock(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "pthread_mutex_unlock";
  pthread_mutex_t* m = MutexAt(args, FN);
  if (!m) return;
  int rc = pthread_mutex_unlock(m);
  if (rc != 0) return ThrowErrno(args.GetIsolate(), rc, FN);
}

static void MutexConsistent(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "pthread_mutex_consistent";
  pthread_mutex_t* m = MutexAt(args, FN);
  if (!m) return;
  int rc = pthread_mutex_consistent(m);
  if (rc != 0) return ThrowErrno(args.GetIsolate(), rc, FN);
}

// ---------------------------------------------------------------------------
// liveness

static void ProcessAlive(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "kill";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, pid);
  // pid <= 0 would address process groups: never alive as a single process.
  if (pid <= 0 || pid > INT32_MAX) return args.GetReturnValue().Set(false);
  bool alive = kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
  args.GetReturnValue().Set(alive);
}

static bool FillFlock(Isolate* iso, const char* FN, const FunctionCallbackInfo<Value>& args,
                      struct flock* fl) {
  uint64_t start, len;
  int64_t type;
  if (!GetSize(args[1], &start) || !GetSize(args[2], &len)) {
    ThrowArg(iso, FN, "start and len must be non-negative integers");
    return false;
  }
  if (!GetInt(args[3], &type) || type < 0 || type > 2) {
    ThrowArg(iso, FN, "type must be 0 (unlock), 1 (read) or 2 (write)");
    return false;
  }
  memset(fl, 0, sizeof *fl);
  fl->l_type = type == 0 ? F_UNLCK : (type == 1 ? F_RDLCK : F_WRLCK);
  fl->l_whence = SEEK_SET;
  fl->l_start = static_cast<off_t>(start);
  fl->l_len = static_cast<off_t>(len);
  fl->l_pid = 0;  // required by OFD locks
  return true;
}

// ofdLock(fd, start, len, type, wait) -> true if set, false if it would block.
static void OfdLock(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "fcntl(F_OFD_SETLK)";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  struct flock fl;
  if (!FillFlock(iso, FN, args, &fl)) return;
  bool wait = args[4]->BooleanValue(iso);
  int rc;
  do {
    rc = fcntl(static_cast<int>(fd), wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (!wait && (errno == EAGAIN || errno == EACCES)) return args.GetReturnValue().Set(false);
    return ThrowErrno(iso, errno, FN);
  }
  args.GetReturnValue().Set(true);
}

// ofdTest(fd, start, len, type) -> true if another open file description holds
// a conflicting lock (our own OFD's locks never conflict with themselves).
static void OfdTest(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "fcntl(F_OFD_GETLK)";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  struct flock fl;
  if (!FillFlock(iso, FN, args, &fl)) return;
  if (fl.l_type == F_UNLCK) return ThrowArg(iso, FN, "type must be 1 (read) or 2 (write)");
  if (fcntl(static_cast<int>(fd), F_OFD_GETLK, &fl) != 0) return ThrowErrno(iso, errno, FN);
  args.GetReturnValue().Set(fl.l_type != F_UNLCK);
}

// ---------------------------------------------------------------------------

static void Method(Isolate* iso, Local<Object> exports, const char* name, v8::FunctionCallback cb) {
  Local<Context> ctx = iso->GetCurrentContext();
  Local<v8::FunctionTemplate> t = v8::FunctionTemplate::New(iso, cb);
  Local<v8::Function> f = t->GetFunction(ctx).ToLocalChecked();
  f->SetName(Str(iso, name));
  exports->Set(ctx, Str(iso, name), f).Check();
}

// listenTcp(address, port, backlog, takeover) -> fd of a listening, non-blocking TCP
// socket, or -1 when `address` is not a numeric IPv4/IPv6 address (the caller then lets
// Node resolve it). Like libuv: SO_REUSEADDR; an IPv6 socket is IPv6-only (Redis binds
// each address of `bind` separately). Node takes the fd over with server.listen({ fd });
// doing the bind here spares the server start Node's dns.lookup and its IP-matching regexes.
//
// SO_REUSEPORT (for a standby, src/server/standby.ts):
//  - a normal listener binds WITHOUT it (so a port in use is EADDRINUSE, as always), then
//    sets it before listen(): TCP forms its reuseport group at listen(), so the socket is
//    one a standby of the same user can join later;
//  - takeover = true (a standby taking the role of a server that just died): SO_REUSEPORT
//    before bind, so the bind succeeds while the dead process's listener still exists (the
//    kernel closes a killed process's files only after unmapping its memory: ~40 ms per GB
//    it had touched), and a classic BPF program on the group that returns index 1 steers
//    every new connection to this socket, the newest (a group of [dying, ours]); once the
//    dying socket is gone, index 1 is out of range and the kernel picks the one left, ours.
static void ListenTcp(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "listen";
  Isolate* iso = args.GetIsolate();
  if (!args[0]->IsString()) return ThrowArg(iso, FN, "address must be a string");
  v8::String::Utf8Value addr(iso, args[0]);
  ARG_INT(1, port);
  ARG_INT(2, backlog);
  bool takeover = args.Length() > 3 && args[3]->BooleanValue(iso);
  if (port < 0 || port > 65535) return ThrowArg(iso, FN, "port must be in 0..65535");
  sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  int family;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, *addr, &v4->sin_addr) == 1) {
    family = v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, *addr, &v6->sin6_addr) == 1) {
    family = v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    return args.GetReturnValue().Set(-1);
  }
  std::string where = std::string(*addr) + ":" + std::to_string(port);
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(iso, errno, "socket", where);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      (takeover && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) ||
      (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)) {
    int err = errno;
    close(fd);
    return ThrowErrno(iso, err, "setsockopt", where);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(iso, err, "bind", where);
  }
  // (failing to set it only costs a standby its immediate bind: it then waits for the port)
  if (!takeover) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  if (listen(fd, static_cast<int>(backlog)) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(iso, err, FN, where);
  }
  if (takeover) {
    struct sock_filter code[] = {BPF_STMT(BPF_RET | BPF_K, 1)};
    struct sock_fprog prog = {1, code};
    // (an old kernel without it: connections are shared with the dying listener, whose
    // clients see a dropped connection, until it is gone)
    setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog);
  }
  args.GetReturnValue().Set(fd);
}

// ---------------------------------------------------------------- libm
// The C library's sin/cos/asin, for GEO: Redis's distances and search boxes come from
// them, and GEOSEARCHSTORE STOREDIST stores a distance with all its bits; V8's
// Math.sin/cos/asin (fdlibm) differ from glibc's in the last bits. The formulas stay in
// TypeScript (src/types/geo/geohash.ts); only the libm calls cross.

static void LibmSin(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(sin(args[0]->NumberValue(args.GetIsolate()->GetCurrentContext()).FromJust()));
}

static void LibmCos(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(cos(args[0]->NumberValue(args.GetIsolate()->GetCurrentContext()).FromJust()));
}

static void LibmAsin(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(asin(args[0]->NumberValue(args.GetIsolate()->GetCurrentContext()).FromJust()));
}

// ---------------------------------------------------------------- memmove
// The C library's memmove into, out of and inside a mapping. V8 copies a SharedArrayBuffer's
// bytes (copyWithin, set) with relaxed atomic loads and stores, a byte at a time unless
// source and destination are equally aligned: a 4 KB shift by 5 bytes takes 3-5 us there,
// ~0.1 us here. Bounds are checked; the copy itself is the only thing done.

static uint8_t* SabRange(const FunctionCallbackInfo<Value>& args, const char* fn, int i, uint64_t off, uint64_t len) {
  Isolate* iso = args.GetIsolate();
  if (!args[i]->IsSharedArrayBuffer()) {
    ThrowArg(iso, fn, "expected a SharedArrayBuffer");
    return nullptr;
  }
  Local<SharedArrayBuffer> sab = args[i].As<SharedArrayBuffer>();
  if (off > sab->ByteLength() || len > sab->ByteLength() - off) {
    ThrowArg(iso, fn, "range outside the buffer");
    return nullptr;
  }
  return static_cast<uint8_t*>(sab->Data()) + off;
}

static uint8_t* ViewRange(const FunctionCallbackInfo<Value>& args, const char* fn, int i, uint64_t off, uint64_t len) {
  Isolate* iso = args.GetIsolate();
  if (!args[i]->IsArrayBufferView()) {
    ThrowArg(iso, fn, "expected a typed array");
    return nullptr;
  }
  Local<v8::ArrayBufferView> v = args[i].As<v8::ArrayBufferView>();
  if (off > v->ByteLength() || len > v->ByteLength() - off) {
    ThrowArg(iso, fn, "range outside the typed array");
    return nullptr;
  }
  // (Buffer() of a small on-heap typed array would move it off the heap: callers pass
  // ranges longer than V8's on-heap limit, 64 bytes)
  Local<v8::ArrayBuffer> b = v->Buffer();
  return static_cast<uint8_t*>(b->Data()) + v->ByteOffset() + off;
}

// memmove(sab, dst, src, len)
static void Memmove(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "memmove";
  Isolate* iso = args.GetIsolate();
  ARG_SIZE(1, dst);
  ARG_SIZE(2, src);
  ARG_SIZE(3, len);
  uint8_t* d = SabRange(args, FN, 0, dst, len);
  if (!d) return;
  uint8_t* s = SabRange(args, FN, 0, src, len);
  if (!s) return;
  memmove(d, s, len);
}

// copyIn(sab, dst, view, start, len): view[start, start+len) to sab[dst, dst+len)
static void CopyIn(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "copyIn";
  Isolate* iso = args.GetIsolate();
  ARG_SIZE(1, dst);
  ARG_SIZE(3, start);
  ARG_SIZE(4, len);
  uint8_t* d = SabRange(args, FN, 0, dst, len);
  if (!d) return;
  uint8_t* s = ViewRange(args, FN, 2, start, len);
  if (!s) return;
  memmove(d, s, len);
}

// copyOut(sab, src, view, start, len): sab[src, src+len) to view[start, start+len)
static void CopyOut(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "copyOut";
  Isolate* iso = args.GetIsolate();
  ARG_SIZE(1, src);
  ARG_SIZE(3, start);
  ARG_SIZE(4, len);
  uint8_t* s = SabRange(args, FN, 0, src, len);
  if (!s) return;
  uint8_t* d = ViewRange(args, FN, 2, start, len);
  if (!d) return;
  memmove(d, s, len);
}

// ---------------------------------------------------------------- send
// sendSome(fd, view, start, len) -> bytes sent (0 < n <= len), or -errno (-EAGAIN: the
// socket's send buffer is full). One non-blocking send(2) (MSG_NOSIGNAL: a closed peer is
// -EPIPE, not a signal), retried on EINTR. The server's replies go out this way when Node
// has nothing queued for the socket: the same system call libuv's try-write makes, without
// the stream machinery around it (src/server/server.ts, flush). Whatever was not sent is
// the caller's to hand to Node.

static void SendSome(const FunctionCallbackInfo<Value>& args) {
  static const char* FN = "send";
  Isolate* iso = args.GetIsolate();
  ARG_INT(0, fd);
  ARG_SIZE(2, start);
  ARG_SIZE(3, len);
  uint8_t* p = ViewRange(args, FN, 1, start, len);
  if (!p) return;
  ssize_t n;
  do {
    n = send(static_cast<int>(fd), p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  args.GetReturnValue().Set(static_cast<double>(n < 0 ? -errno : n));
}

static void Init(Local<Object> exports, Local<Value> module, Local<Context> context) {
  Isolate* iso = context->GetIsolate();
  Method(iso, exports, "shmOpen", ShmOpen);
  Method(iso, exports, "openFile", OpenFile);
  Method(iso, exports, "shmUnlink", ShmUnlink);
  Method(iso, exports, "close", Close);
  Method(iso, exports, "ftruncate", Ftruncate);
  Method(iso, exports, "fallocate", Fallocate);
  Method(iso, exports, "fstat", Fstat);
  Method(iso, exports, "fchmod", Fchmod);
  Method(iso, exports, "fchown", Fchown);
  Method(iso, exports, "mmap", Mmap);
  Method(iso, exports, "munmap", Unmap);
  Method(iso, exports, "msync", Msync);
  Method(iso, exports, "madvise", Madvise);
  Method(iso, exports, "ftok", Ftok);
  Method(iso, exports, "shmget", Shmget);
  Method(iso, exports, "shmat", Shmat);
  Method(iso, exports, "shmdt", Shmdt);
  Method(iso, exports, "shmctl", Shmctl);
  Method(iso, exports, "futexWait", FutexWait);
  Method(iso, exports, "futexWake", FutexWake);
  Method(iso, exports, "mutexInit", MutexInit);
  Method(iso, exports, "mutexLock", MutexLock);
  Method(iso, exports, "mutexTimedLock", MutexTimedLock);
  Method(iso, exports, "mutexTryLock", MutexTryLock);
  Method(iso, exports, "mutexUnlock", MutexUnlock);
  Method(iso, exports, "mutexConsistent", MutexConsistent);
  Method(iso, exports, "processAlive", ProcessAlive);
  Method(iso, exports, "listenTcp", ListenTcp);
  Method(iso, exports, "ofdLock", OfdLock);
  Method(iso, exports, "ofdTest", OfdTest);
  Method(iso, exports, "sin", LibmSin);
  Method(iso, exports, "cos", LibmCos);
  Method(iso, exports, "asin", LibmAsin);
  Method(iso, exports, "memmove", Memmove);
  Method(iso, exports, "copyIn", CopyIn);
  Method(iso, exports, "copyOut", CopyOut);
  Method(iso, exports, "sendSome", SendSome);

  Local<Object> c = Object::New(iso);
#define C(name) SetNum(iso, c, #name, name)
  C(O_CREAT);
  C(O_EXCL);
  C(O_RDWR);
  C(O_RDONLY);
  C(O_TRUNC);
  C(FALLOC_FL_KEEP_SIZE);
  C(FALLOC_FL_PUNCH_HOLE);
  C(MADV_DONTNEED);
  C(MADV_WILLNEED);
  C(MADV_REMOVE);
  C(MS_SYNC);
  C(MS_ASYNC);
  C(MS_INVALIDATE);
  C(IPC_CREAT);
  C(IPC_EXCL);
  C(IPC_PRIVATE);
  C(EOWNERDEAD);
  C(ETIMEDOUT);
  C(EBUSY);
  C(ENOTRECOVERABLE);
  C(EDEADLK);
  C(EPERM);
#undef C
  SetNum(iso, c, "MUTEX_SIZE", sizeof(pthread_mutex_t));
  Set(iso, exports, "constants", c);
  SetNum(iso, exports, "pageSize", static_cast<double>(sysconf(_SC_PAGESIZE)));
}

}  // namespace shmkv

// Context-aware so that worker_threads can load it too (futex waits belong
// in a worker: FUTEX_WAIT blocks the calling thread).
NODE_MODULE_INIT(/* exports, module, context */) { shmkv::Init(exports, module, context); }
