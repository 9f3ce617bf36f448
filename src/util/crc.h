/* crc.h - CRC-32 (zlib, HyperVStorage/GPT/FVE) and CRC-32C (VHDX). */
#ifndef HVTPM_CRC_H
#define HVTPM_CRC_H

#include <stddef.h>
#include <stdint.h>

uint32_t hv_crc32(const void *data, size_t len);
/* CRC-32 of data as if bytes [field, field+flen) were zero. */
uint32_t hv_crc32_zeroed(const void *data, size_t len, size_t field, size_t flen);
uint32_t hv_crc32c(const void *data, size_t len);
uint32_t hv_crc32c_zeroed(const void *data, size_t len, size_t field, size_t flen);

#endif
