/* SPDX-License-Identifier: MIT */
/* Test fixture for tests/cli/sig_heartbleed.sh: two functions shaped like OpenSSL 1.0.1's
 * tls1_process_heartbeat, the vulnerable one (1.0.1-1.0.1f) and the fixed one (1.0.1g),
 * written here from the published code, with stand-in structures of the same shape. No
 * libc header, so that it also compiles with -m32 where no 32-bit libc is installed. */
typedef __SIZE_TYPE__ size_t;
#define memcpy __builtin_memcpy

#define TLS1_RT_HEARTBEAT 24
#define TLS1_HB_REQUEST 1
#define TLS1_HB_RESPONSE 2
#define n2s(c,s) ((s=(((unsigned int)(c[0]))<< 8)| (((unsigned int)(c[1])) )),c+=2)
#define s2n(s,c) ((c[0]=(unsigned char)(((s)>> 8)&0xff), c[1]=(unsigned char)(((s))&0xff)),c+=2)

typedef struct { int type; unsigned int length; unsigned char *data; unsigned char *input; unsigned char *comp; unsigned long epoch; unsigned char seq_num[8]; } SSL3_RECORD;
typedef struct { long flags; int delay_buf_pop_ret; unsigned char read_sequence[8]; int read_mac_secret_size; unsigned char read_mac_secret[64]; unsigned char write_sequence[8]; int write_mac_secret_size; unsigned char write_mac_secret[64]; unsigned char server_random[32]; unsigned char client_random[32]; int need_empty_fragments; int empty_fragment_done; int init_extra; void *rbuf[3]; void *wbuf[3]; SSL3_RECORD rrec; SSL3_RECORD wrec; } SSL3_STATE;
typedef struct ssl_st { int version; int type; void *method; void *rbio, *wbio, *bbio; int rwstate; int in_handshake; int (*handshake_func)(struct ssl_st *); int server; int new_session; int quiet_shutdown; int shutdown; int state; int rstate; void *init_buf; void *init_msg; int init_num; int init_off; unsigned char *packet; unsigned int packet_length; SSL3_STATE *s3; void *d1; int read_ahead; void (*msg_callback)(int, int, int, const void *, size_t, struct ssl_st *, void *); void *msg_callback_arg; int hit; unsigned int tlsext_hb_pending; unsigned int tlsext_hb_seq; } SSL;

void *CRYPTO_malloc(int num, const char *file, int line);
void CRYPTO_free(void *p);
int RAND_pseudo_bytes(unsigned char *buf, int num);
int ssl3_write_bytes(SSL *s, int type, const void *buf, int len);
void tls1_stop_timer(SSL *s);
#define OPENSSL_malloc(n) CRYPTO_malloc((int)(n), __FILE__, __LINE__)
#define OPENSSL_free(p) CRYPTO_free(p)

__attribute__((noinline)) int tls1_process_heartbeat(SSL *s)
{
	unsigned char *p = &s->s3->rrec.data[0], *pl;
	unsigned short hbtype;
	unsigned int payload;
	unsigned int padding = 16;
	hbtype = *p++;
	n2s(p, payload);
	pl = p;
	if (s->msg_callback)
		s->msg_callback(0, s->version, TLS1_RT_HEARTBEAT, &s->s3->rrec.data[0], s->s3->rrec.length, s, s->msg_callback_arg);
	if (hbtype == TLS1_HB_REQUEST) {
		unsigned char *buffer, *bp;
		int r;
		buffer = OPENSSL_malloc(1 + 2 + payload + padding);
		bp = buffer;
		*bp++ = TLS1_HB_RESPONSE;
		s2n(payload, bp);
		memcpy(bp, pl, payload);
		bp += payload;
		RAND_pseudo_bytes(bp, padding);
		r = ssl3_write_bytes(s, TLS1_RT_HEARTBEAT, buffer, 3 + payload + padding);
		OPENSSL_free(buffer);
		if (r < 0)
			return r;
	} else if (hbtype == TLS1_HB_RESPONSE) {
		unsigned int seq;
		n2s(pl, seq);
		if (payload == 18 && seq == s->tlsext_hb_seq) {
			tls1_stop_timer(s);
			s->tlsext_hb_seq++;
			s->tlsext_hb_pending = 0;
		}
	}
	return 0;
}

__attribute__((noinline)) int tls1_process_heartbeat_fixed(SSL *s)
{
	unsigned char *p = &s->s3->rrec.data[0], *pl;
	unsigned short hbtype;
	unsigned int payload;
	unsigned int padding = 16;
	if (s->msg_callback)
		s->msg_callback(0, s->version, TLS1_RT_HEARTBEAT, &s->s3->rrec.data[0], s->s3->rrec.length, s, s->msg_callback_arg);
	if (1 + 2 + 16 > s->s3->rrec.length)
		return 0;
	hbtype = *p++;
	n2s(p, payload);
	if (1 + 2 + payload + 16 > s->s3->rrec.length)
		return 0;
	pl = p;
	if (hbtype == TLS1_HB_REQUEST) {
		unsigned char *buffer, *bp;
		int r;
		buffer = OPENSSL_malloc(1 + 2 + payload + padding);
		bp = buffer;
		*bp++ = TLS1_HB_RESPONSE;
		s2n(payload, bp);
		memcpy(bp, pl, payload);
		bp += payload;
		RAND_pseudo_bytes(bp, padding);
		r = ssl3_write_bytes(s, TLS1_RT_HEARTBEAT, buffer, 3 + payload + padding);
		OPENSSL_free(buffer);
		if (r < 0)
			return r;
	} else if (hbtype == TLS1_HB_RESPONSE) {
		unsigned int seq;
		n2s(pl, seq);
		if (payload == 18 && seq == s->tlsext_hb_seq) {
			tls1_stop_timer(s);
			s->tlsext_hb_seq++;
			s->tlsext_hb_pending = 0;
		}
	}
	return 0;
}
