#include <libxml/xmlversion.h>
// Debian's libxml2 is built with ICU; its headers pull in the system ICU, which clashes with Foundation's own
// (_FoundationICU): "'UErrorCode' has different definitions in different modules". We only use the ICU-dependent
// struct members by pointer, so hide them.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlwriter.h>

// xmlFree is a global function-pointer variable, which Swift 6 refuses to touch (not concurrency-safe).
static inline void cxml_free(void *p) { xmlFree(p); }

// libxml2 prints some errors through its generic (printf-like) handler straight to stderr ("xmlParseChunk: encoder
// error"); Swift cannot write a C variadic function, so the one that drops them is here.
static inline void cxml_ignore_generic_error(void *ctx, const char *msg, ...) { (void)ctx; (void)msg; }
static inline void cxml_silence_generic_errors(void) {
    xmlThrDefSetGenericErrorFunc(NULL, cxml_ignore_generic_error);
    xmlSetGenericErrorFunc(NULL, cxml_ignore_generic_error);
}
