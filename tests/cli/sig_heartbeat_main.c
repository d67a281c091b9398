/* SPDX-License-Identifier: MIT */
/* Test program for tests/cli/sig_heartbleed.sh: links libssl-carver-test.so (built from
 * sig_heartbeat.c), provides the functions its code calls (linked with -rdynamic), writes
 * READY and waits on standard input, so that carver can read its memory meanwhile. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ssl_st;
int tls1_process_heartbeat(struct ssl_st *s);
int tls1_process_heartbeat_fixed(struct ssl_st *s);

void *CRYPTO_malloc(int num, const char *file, int line)
{
  (void)file, (void)line;
  return malloc((size_t)num);
}
void CRYPTO_free(void *p) { free(p); }
int RAND_pseudo_bytes(unsigned char *buf, int num)
{
  memset(buf, 0x5a, (size_t)num);
  return 1;
}
int ssl3_write_bytes(struct ssl_st *s, int type, const void *buf, int len)
{
  (void)s, (void)type, (void)buf;
  return len;
}
void tls1_stop_timer(struct ssl_st *s) { (void)s; }

/* both functions referenced, so that the library is linked (and loaded) */
int (*const hb_functions[2])(struct ssl_st *) = {tls1_process_heartbeat,
                                                  tls1_process_heartbeat_fixed};

int main(void)
{
  char c;
  if (write(1, "READY\n", 6) != 6)
    return 1;
  return read(0, &c, 1) < 0;
}
