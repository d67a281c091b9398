/* SPDX-License-Identifier: MIT */
/* Helpers shared by the fuzz targets. */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"

int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t cap)
{
  int fd = memfd_create("carver-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)n;
  }
  snprintf(path, cap, "/proc/self/fd/%d", fd);
  return fd;
}
