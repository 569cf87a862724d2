/*
 * fuzz_request.c -- libFuzzer target for the only entry point of untrusted
 * bytes into wolfpackd: wp_proto_decode_request().  Any input must either be
 * refused with an error that has a code and a message, or be accepted with
 * a known op and an args object; an accepted request must survive encoding
 * as a frame and decoding again unchanged.
 *
 *   make fuzz
 *   build-fuzz/fuzz_request -max_total_time=120 -dict=tests/fuzz/request.dict \
 *       tests/fuzz/corpus/request
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const wp_request *req)
{
    unsigned char *frame = NULL;
    size_t len = 0;
    wp_err err = {0};
    wp_request again;

    if (!wp_proto_encode_frame(req->json, &frame, &len, &err))
        abort(); /* a request that fits a frame must encode */
    if (len < 5 || !wp_proto_decode_request(frame + 4, len - 4, &again, &err))
        abort(); /* and decode again */
    if (strcmp(again.op, req->op) != 0 || again.mutates != req->mutates ||
        !json_equal(again.json, req->json))
        abort();
    wp_request_free(&again);
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_request req;
    wp_err err = {0};
    bool known, mutates = false;

    if (!wp_proto_decode_request(data, size, &req, &err)) {
        if (err.code == WP_OK || !err.what[0] || req.json)
            abort(); /* a refusal must say what was wrong */
        json_t *reply = wp_proto_reply_err(&err);
        if (!reply)
            abort();
        json_decref(reply);
        return 0;
    }
    known = wp_proto_op_known(req.op, &mutates);
    if (!known || mutates != req.mutates || !json_is_object(req.args))
        abort();
    check_round_trip(&req);
    wp_request_free(&req);
    return 0;
}
