"""An S3-compatible server for Herald's presigned URL tests: moto's S3 (the same application
`moto_server` runs) behind a check of every request's AWS Signature Version 4, in the
Authorization header or in a presigned URL's query, and of a presigned URL's expiry.

moto alone accepts any presigned URL: it looks for "Signature=" in the URL and checks neither
the signature nor the age. The signatures are recomputed here with botocore's signer, so the
check is independent of Herald's own SigV4 code. Started by scripts/moto.sh.

    S3_FRONT_ACCESS_KEY_ID=… S3_FRONT_SECRET_ACCESS_KEY=… python s3_front.py --port PORT
"""

import argparse
import datetime
import hmac
import os
from urllib.parse import parse_qsl, quote

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

AUTH_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")


def error(code, message, status=403):
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status=status, content_type="application/xml")


class Denied(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def encode(text, safe):
    return quote(text, safe=safe)


def signature(auth, method, host, path, query, headers, timestamp):
    """botocore's SigV4 signature of a request: canonical request, string to sign, signing key.
    botocore reads the path and the query from the URL as they are, so they go in encoded."""
    url = f"http://{host}{encode(path, '/~')}"
    if query:
        url += "?" + "&".join(f"{encode(k, '-_.~')}={encode(v, '-_.~')}" for k, v in query)
    request = AWSRequest(method=method, url=url, headers=headers)
    request.context["timestamp"] = timestamp
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request)


class Verifier:
    def __init__(self, access_key_id, secret_access_key):
        self.access_key_id = access_key_id
        self.credentials = Credentials(access_key_id, secret_access_key)

    def scope(self, credential):
        parts = credential.split("/")
        if len(parts) != 5 or parts[3] != "s3" or parts[4] != "aws4_request":
            raise Denied("AuthorizationQueryParametersError", "malformed credential scope")
        if parts[0] != self.access_key_id:
            raise Denied("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        return parts[2]

    def signed_headers(self, request, names):
        headers = {}
        for name in names.split(";"):
            if name == "host":
                continue
            if name not in request.headers:
                raise Denied("SignatureDoesNotMatch", f"the signed header {name} is missing")
            headers[name] = request.headers[name]
        return headers

    def check(self, request):
        query = parse_qsl(request.query_string.decode(), keep_blank_values=True)
        params = dict(query)
        host = request.headers.get("Host", "")
        authorization = request.headers.get("Authorization")
        if authorization:
            # AWS4-HMAC-SHA256 Credential=…/…/region/s3/aws4_request,SignedHeaders=…,Signature=…
            fields = dict(
                part.strip().split("=", 1)
                for part in authorization.removeprefix("AWS4-HMAC-SHA256").split(",")
                if "=" in part
            )
            if not authorization.startswith("AWS4-HMAC-SHA256 ") or not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
                raise Denied("AccessDenied", "malformed Authorization header")
            region = self.scope(fields["Credential"])
            headers = self.signed_headers(request, fields["SignedHeaders"])
            timestamp = request.headers.get("X-Amz-Date", "")
            auth = S3SigV4Auth(self.credentials, "s3", region)
            expected = signature(auth, request.method, host, request.path, query, headers, timestamp)
            given = fields["Signature"]
        elif "X-Amz-Signature" in params:
            if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or not all(p in params for p in AUTH_PARAMS):
                raise Denied("AuthorizationQueryParametersError", "missing presigned URL parameters")
            region = self.scope(params["X-Amz-Credential"])
            timestamp = params["X-Amz-Date"]
            try:
                signed_at = datetime.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
                expires = int(params["X-Amz-Expires"])
            except ValueError as e:
                raise Denied("AuthorizationQueryParametersError", "bad X-Amz-Date or X-Amz-Expires") from e
            if not 1 <= expires <= 604800:
                raise Denied("AuthorizationQueryParametersError", "X-Amz-Expires must be 1 to 604800")
            if datetime.datetime.now(datetime.timezone.utc) > signed_at + datetime.timedelta(seconds=expires):
                raise Denied("AccessDenied", "Request has expired")
            headers = self.signed_headers(request, params["X-Amz-SignedHeaders"])
            unsigned = [(k, v) for k, v in query if k != "X-Amz-Signature"]
            auth = S3SigV4QueryAuth(self.credentials, "s3", region, expires=expires)
            expected = signature(auth, request.method, host, request.path, unsigned, headers, timestamp)
            given = params["X-Amz-Signature"]
        else:
            raise Denied("AccessDenied", "Access Denied")
        if not hmac.compare_digest(expected, given):
            raise Denied(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )


def application(verifier, backend):
    def app(environ, start_response):
        request = Request(environ)
        if request.path == "/__health":
            return Response("ok")(environ, start_response)
        try:
            verifier.check(request)
        except Denied as denied:
            return error(denied.code, denied.message)(environ, start_response)
        return backend(environ, start_response)

    return app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    backend = DomainDispatcherApplication(create_backend_app)
    verifier = Verifier(os.environ["S3_FRONT_ACCESS_KEY_ID"], os.environ["S3_FRONT_SECRET_ACCESS_KEY"])
    app = application(verifier, backend)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
