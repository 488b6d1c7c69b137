/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "error.h"

static int
error_vset(struct ctr_error *err, int code, int errnum, const char *fmt, va_list ap) _printf_(4, 0);

static int
error_vset(struct ctr_error *err, int code, int errnum, const char *fmt, va_list ap)
{
	char *msg;

	if (err == NULL)
		return -1;
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	free(err->msg);
	err->code = code;
	err->errnum = errnum;
	err->exit_code = 0;
	if (errnum != 0) {
		err->msg = xasprintf("%s: %s", msg, strerror(errnum));
		free(msg);
	} else {
		err->msg = msg;
	}
	return -1;
}

int
ctr_error_set(struct ctr_error *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int
ctr_error_sys(struct ctr_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, CTR_E_SYSTEM, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int
ctr_error_prefix(struct ctr_error *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (err->code == 0)
		err->code = CTR_E_INTERNAL;
	char *msg = xasprintf("%s: %s", ctx, err->msg ? err->msg : "unknown error");
	free(ctx);
	free(err->msg);
	err->msg = msg;
	return -1;
}

void
ctr_error_clear(struct ctr_error *err)
{
	free(err->msg);
	*err = (struct ctr_error)CTR_ERROR_INIT;
}

void
ctr_error_move(struct ctr_error *dst, struct ctr_error *src)
{
	ctr_error_clear(dst);
	*dst = *src;
	*src = (struct ctr_error)CTR_ERROR_INIT;
}

const char *
ctr_code_name(int code)
{
	switch (code) {
	case CTR_E_PARSE:
		return "parse_error";
	case CTR_E_INVALID_REQUEST:
		return "invalid_request";
	case CTR_E_NO_METHOD:
		return "method_not_found";
	case CTR_E_INVALID_PARAMS:
		return "invalid_params";
	case CTR_E_INTERNAL:
		return "internal_error";
	case CTR_E_NOT_FOUND:
		return "not_found";
	case CTR_E_CONFLICT:
		return "conflict";
	case CTR_E_STATE:
		return "wrong_state";
	case CTR_E_LIMIT:
		return "limit";
	case CTR_E_SYSTEM:
		return "system_error";
	case CTR_E_PERMISSION:
		return "permission_denied";
	case CTR_E_EXEC:
		return "exec_failed";
	}
	return "error";
}

const char *
errno_name(int errnum)
{
	/* clang-format off */
#define E(x) case x: return #x
	switch (errnum) {
	E(EPERM); E(ENOENT); E(ESRCH); E(EINTR); E(EIO); E(ENXIO); E(E2BIG); E(ENOEXEC);
	E(EBADF); E(ECHILD); E(EAGAIN); E(ENOMEM); E(EACCES); E(EFAULT); E(EBUSY); E(EEXIST);
	E(EXDEV); E(ENODEV); E(ENOTDIR); E(EISDIR); E(EINVAL); E(ENFILE); E(EMFILE); E(ENOTTY);
	E(ETXTBSY); E(EFBIG); E(ENOSPC); E(ESPIPE); E(EROFS); E(EMLINK); E(EPIPE); E(ERANGE);
	E(ENAMETOOLONG); E(ENOSYS); E(ENOTEMPTY); E(ELOOP); E(ETIMEDOUT); E(ECONNREFUSED);
	E(EOPNOTSUPP); E(ENOTSOCK); E(EADDRINUSE); E(EDQUOT); E(ECANCELED); E(EOVERFLOW);
	E(ECONNRESET); E(EBADMSG);
	}
#undef E
	/* clang-format on */
	return NULL;
}
