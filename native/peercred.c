/*
 * peercred: the credentials of the process at the other end of a connected Unix socket, from the
 * kernel (SO_PEERCRED). One function, peerCred(fd) -> { pid, uid, gid }; throws on failure.
 * Plain C against Node-API, so it needs no headers beyond Node's own and works on any Node ABI.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "peerCred(fd)");
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return fail(env, "peerCred: fd must be a number");
#ifdef SO_PEERCRED
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
    return fail(env, strerror(errno));
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_int64(env, cred.pid, &v);
  napi_set_named_property(env, out, "pid", v);
  napi_create_int64(env, cred.uid, &v);
  napi_set_named_property(env, out, "uid", v);
  napi_create_int64(env, cred.gid, &v);
  napi_set_named_property(env, out, "gid", v);
  return out;
#else
  return fail(env, "SO_PEERCRED is not available on this platform");
#endif
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "peerCred", NAPI_AUTO_LENGTH, peer_cred, NULL, &fn);
  napi_set_named_property(env, exports, "peerCred", fn);
  return exports;
}
