/* OpenSSL reads the clock es_clock_set installs: the dates it writes follow simulated time. */
#include <glib.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include "pki/es_clock.h"

static gint64 fixed(void *arg) { return *(gint64 *)arg; }

static void test_openssl_reads_it(void)
{
  gint64 t = G_GINT64_CONSTANT(1793491200); /* 2026-11-01T00:00:00Z */
  es_clock_set(fixed, &t);
  ASN1_TIME *now = X509_gmtime_adj(NULL, 0);
  g_assert_cmpstr((const char *)ASN1_STRING_get0_data(now), ==, "261101000000Z");
  t += 3661;
  X509_gmtime_adj(now, 0);
  g_assert_cmpstr((const char *)ASN1_STRING_get0_data(now), ==, "261101010101Z");
  /* Without it, the host's clock again (whatever its date): within a second or two of GLib's. */
  es_clock_set(NULL, NULL);
  X509_gmtime_adj(now, 0);
  time_t host = (time_t)(g_get_real_time() / G_USEC_PER_SEC);
  g_assert_cmpint(ASN1_TIME_cmp_time_t(now, host - 2), >, 0);
  g_assert_cmpint(ASN1_TIME_cmp_time_t(now, host + 2), <, 0);
  ASN1_TIME_free(now);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/clock/openssl-reads-it", test_openssl_reads_it);
  return g_test_run();
}
