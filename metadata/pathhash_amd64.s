#include "textflag.h"

// func hashPathAES(k *aesKeys, p *byte, n int) (h0, h1 uint64, high uint32)
//
// n >= 16. Four lanes X0..X3 start from keys 4..7 xored with n; the
// 16-byte blocks go to the lanes in turn (block i to lane i mod 4, each
// xored in and one AES round under the lane's key 0..3 taken), and the
// last 16 bytes, overlapping what came before, to lane 3. The lanes are
// then folded together (keys 8 and 9).
// X9 ORs every block: its bytes' high bits say whether p is ASCII.
TEXT ·hashPathAES(SB), NOSPLIT, $0-44
	MOVQ k+0(FP), AX
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	LEAQ -16(SI)(CX*1), DX // the last block

	MOVQ CX, X8
	PUNPCKLQDQ X8, X8
	MOVOU 64(AX), X0
	PXOR X8, X0
	MOVOU 80(AX), X1
	PXOR X8, X1
	MOVOU 96(AX), X2
	PXOR X8, X2
	MOVOU 112(AX), X3
	PXOR X8, X3
	MOVOU 0(AX), X10
	MOVOU 16(AX), X11
	MOVOU 32(AX), X12
	MOVOU 48(AX), X13
	PXOR X9, X9

	// Four blocks at a time while more than 64 bytes remain.
loop:
	CMPQ CX, $64
	JLE tail
	MOVOU 0(SI), X4
	MOVOU 16(SI), X5
	MOVOU 32(SI), X6
	MOVOU 48(SI), X7
	POR X4, X9
	POR X5, X9
	POR X6, X9
	POR X7, X9
	PXOR X4, X0
	PXOR X5, X1
	PXOR X6, X2
	PXOR X7, X3
	AESENC X10, X0
	AESENC X11, X1
	AESENC X12, X2
	AESENC X13, X3
	ADDQ $64, SI
	SUBQ $64, CX
	JMP loop

	// 1 to 64 bytes remain: up to three whole blocks to lanes 0, 1, 2,
	// and the last 16 bytes to lane 3.
tail:
	CMPQ CX, $16
	JLE last
	MOVOU 0(SI), X4
	POR X4, X9
	PXOR X4, X0
	AESENC X10, X0
	CMPQ CX, $32
	JLE last
	MOVOU 16(SI), X5
	POR X5, X9
	PXOR X5, X1
	AESENC X11, X1
	CMPQ CX, $48
	JLE last
	MOVOU 32(SI), X6
	POR X6, X9
	PXOR X6, X2
	AESENC X12, X2
last:
	MOVOU 0(DX), X7
	POR X7, X9
	PXOR X7, X3
	AESENC X13, X3

	// Fold the lanes in pairs, each pair through a round, then both
	// through two more: every block goes through four rounds.
	MOVOU 128(AX), X14
	MOVOU 144(AX), X8
	PXOR X1, X0
	PXOR X3, X2
	AESENC X14, X0
	AESENC X8, X2
	PXOR X2, X0
	AESENC X14, X0
	AESENC X8, X0

	MOVQ X0, BX
	PSHUFD $0x4e, X0, X1
	MOVQ X1, DI
	PMOVMSKB X9, R8
	MOVQ BX, h0+24(FP)
	MOVQ DI, h1+32(FP)
	MOVL R8, high+40(FP)
	RET
