#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed entry per kind of value.
static inline CURLcode diarium_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode diarium_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode diarium_curl_set_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*diarium_curl_callback)(char *bytes, size_t size, size_t count, void *context);

static inline CURLcode diarium_curl_set_callback(CURL *handle, CURLoption option, diarium_curl_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}
typedef int (*diarium_curl_progress)(void *context, curl_off_t downTotal, curl_off_t downNow, curl_off_t upTotal, curl_off_t upNow);

// Progress reports (at least once a second, also while nothing moves) to a callback that may stop the transfer.
static inline CURLcode diarium_curl_set_progress(CURL *handle, diarium_curl_progress callback, void *context) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
    if (code == CURLE_OK) code = curl_easy_setopt(handle, CURLOPT_XFERINFODATA, context);
    if (code == CURLE_OK) code = curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    return code;
}
static inline CURLcode diarium_curl_info_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode diarium_curl_info_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode diarium_curl_info_offset(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

// Macros Swift does not import (expressions, not literals).
static inline CURLcode diarium_curl_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }
static const long DIARIUM_CURL_WEB_PROTOCOLS = CURLPROTO_HTTP | CURLPROTO_HTTPS;
static const int DIARIUM_CURL_ERROR_SIZE = CURL_ERROR_SIZE;
static const long DIARIUM_CURL_HTTP_1_1 = CURL_HTTP_VERSION_1_1;
