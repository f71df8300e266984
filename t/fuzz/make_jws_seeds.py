#!/usr/bin/python3
"""Seeds for t/fuzz/fuzz_jws.c's key set with kids (python3-jwcrypto).

The private keys below are test keys made for this file only: they sign the
corpus/jws/kid-* tokens, and their public halves are fuzz_jws.c's
`kid_keys`. Run from the source tree's top to write the seeds again:
    /usr/bin/python3 t/fuzz/make_jws_seeds.py [--c-keys]
(--c-keys prints the public key set as a C string instead.)
"""
import base64
import hashlib
import json
import os
import sys

from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

KEYS = json.loads(
    '[{"d":"BJn07Bc0kTyfwJTslZL0gCtQ1CIx2sdU3snoD4eISvUaW3iUCiKRoFzYcmzos82'
    '7gE-5Zjf_U0Cjj_ADxVY6diyM8ks2F8EUW7fy3TycdaZv7xrbjg7rB_FiHfY3DtymhCBjZ'
    '_o8QvCh10SykgiVRO2MLuzIit3ek0WL-MObIR4to-Jf_NR4lVRki56-MSg5k3pH143_V--'
    '2zwGwzUjM3EHC-4p_Y536HrHw_vbOz7B8hTwvqoB0Rxb3_61omZme5wNC22r5sKZcaj9yk'
    'xA-IUeI4T3rj5OP1bBF_5k-91NJegwGCuBtlRwQphcBBuLaXWNkejoPlRWV3XgIoUj4QQ"'
    ',"dp":"NYhNyIyWwOPzSZ94H_vzhvx1rxwV8Sw2ISzrTJuYLy6vpAOi0nEbrxutl9UF5T3'
    'E5U3w5JUXsdbfKCindRYjlBW1dEy908ifEv3ZyQFMrZoqHLnQSciOIbaDgB3aKR631U_hh'
    's9p09RZJOFIPVT49W1rCOapoHuiFGWMPxVRAoE","dq":"YXk32vO2X5FbcvIZzuIgVHBp'
    'CTjbVabBQJcAyXmYo2UTRSBRbo-32x9AUwoF3biMX9LbEucrgPX7WZmPVPJ3Scs74qh9sK'
    '3JrUSJTMnVU0f8VyK0p7bew-D1JIIoQi--FfPcI6JuOcoBnwLq6qcPGs4JDvUF0rZueTHe'
    'esCT0S0","e":"AQAB","kid":"rsa-1","kty":"RSA","n":"4kjG5H2hD7l_p8QIrQ3'
    'YY1eoz4hCAwuWHThBVRWb0eiwU4yl-t3C1hXtKaAKYcvfWiLn6bqhN3Hgm2NzIhCcDy2Mx'
    'skigbKrwlUEtcAJp64WUsDc9VVfMFwW7Pt1IRzSr7_g0piyvz5C1I_I8eDf49rRmoC66AD'
    'KDFFNqqDT9P0peQGCmyJyvEMvH8kxKYzCikVN-jQwmpKf1XYVanRJ3vqsq4EnZMS75D1rJ'
    'V5INEQlozr42X0d1D8wcFkEz9lCW8xUC4t_ZUhZL-ktG0URsc9_Co5vStk9uYAenl4j4g-'
    'pmH9uSkGfke1ojpIfNLydZmMLZkOPlXG7MO9NqPDdRw","p":"_Vjxq5kOAMoYzQdHa-Nf'
    'vXLZnT3DnBCy5nidPJ1x7X4hLXaWXrkgGK-iTT9nRSIN9Wd9mz-sIDa8_L4uZWi4Knf35z'
    'Hg89gfRZmZfXgLg-XRZMlfdNmL8nrYorSeE6-QkHwPNWf6vGFBr71lR60AVxP5UFYemQRW'
    'EsZ7bVIU2XE","q":"5KdLagzgkFXeNYboIT5Iqz9nd4XqUxxN2BZxqf-K-jTN3HF2lEUv'
    'gmuIm1rsz12l8rAkaYG3nMImz66RBUavycb75NgIlmF7FszDz21otVUV5FGM0rYc3usive'
    'QBI65p8QbkOyToaoO5V9fF64eAnNjMfm8QgnLqrt9lAHx1hjc","qi":"4IG1WoUC6sWTk'
    '4Z02VGAQ0MbfoP_rTxstdcID2Tc3JAcphMX5UIAzM8FUSmTvdEBa7x26YNYrEFYY-fcaWc'
    'MtuI0ha2vPQ3TB8dyI20QSmf_i5D3IlALMItX4yW-YJ2PHFUZ1r6t92JeSUVeb0iXCTT9X'
    'iT3rr0wChQiV8VZz_c","alg":"RS256","use":"sig"},{"d":"DJzMxfsEL8qxv8_kE'
    'gSuhRqCPvWzo3iGUVWPap7j4MzRTWjZI8Y6iKa0MPaCZ-fpANluksx8lTRJ1ePpsk8OdQi'
    'XGTVIPkM2s-I6ytk91kKRWc0qRKoWBzCAMdohr32vbBMzyEjPtM9lh4mndENb0VWgb4f9J'
    'CRyF9Q79rcsl-gA006cGXQiaZtEhppUh3PdW60MEJO6hiILfsMD_DYmRV--RC5yTbDfSVV'
    'kcmg-8wdPhi4W0WEuAidY4eluSb_gNbEH6L2RXORoSlVcmmXQ3svlF4YKyPpD-0aVqhzbw'
    'bftsCyQJwVPAIMAJsCqEI7noYlSo3PtEdw3BwJeXQ3IlQ","dp":"NCCneLvEUPOf0Co_f'
    'TdOc12kJE5lzouY572lh-4tLdh-HYUwYmr79tspO3s-Z6lmn0r6pY1J7oN434gf9OVGqtz'
    'Vvro1xDyiApsXOUtLExwZ4spvNlGL9pNJIj_dDmGmkLyDIUKWkbWMeQqqkw06BJjGLYuAD'
    'CuI-Fbddh8YutU","dq":"7IjvHCTEGekuFtVL85yb_dxWJL4xyWHC9x3PKRGiDFBveLKt'
    'APCT_1WyIxyMn90mr7BcyNMom6qUuTUPns8oYNuLyPHshmlBfUdj0Rb_hctOc7-zD91Svu'
    'cJcqW4NWZwZrmuzLfb0Bs7C_3OA3obIOY5Zsrwxl8Jbj8omiTmE4k","e":"AQAB","kid'
    '":"rsa-2","kty":"RSA","n":"8CKcj577aXAbKJe1q8rwR3kwowTdw78IbkJrlG6BAxB'
    'VDHGU7RmLea1vhT1SeNP6QWe307Qk9u3xaWDjWJ7Q3g2FS-AHZz_lKLaoYixaDUsGSX4tR'
    '5vydcUTmTFiuajUcAAwDjlwaNjX_tk26tojbX7yqXmpBQOf4e22w85qwRijS20qO6WeXTE'
    'pG5jJ_izelWYVr3QAqYaCUHzPZfwdjnNpUED4lBvN7LSJ8KkgI59e6lH8Cbf9Ur8XBIeBx'
    'fotzn9BOf-r_kTvwFmkBUqOQZUNFwfsYUhD6-Wob1nzAKhRmggCGf7QKWBXHU_3eGKoTib'
    'Nbpag0Th5oU1Ts_oSVw","p":"-6jxaTu0u0xoslypo2IwNtdjltG0jBrrTNHgw0o6WQEm'
    'TR3tGL-4OQK8cXW6xRCBm0orC17KWD6_nkIIINYlOouZjdTmRFmBcnidIjzEn4ZYf91WtJ'
    'ALUTVE165eXvuzBzSOJhaWwg2U0jcFXohKHAAgtMTCO7J6ApltME5trY0","q":"9EbJsK'
    'h2XpRCSY_t9qSvFlFPYMk2O1zyE_rMFeJB7IzBOARpev8A2thkRfYG3Aoo8NglR3_Bc5iZ'
    '47yWJXaUzsCOJTNiKFTX7ZN5AcUridzO3JLdzkUbA0hngQmUi7vMvXqkEN984KTDRsrvsQ'
    'e5PS12_ffdml-vwpaT8QP8jHM","qi":"mO5g3L4r6R_RVPi6gTmaRhO0-T9NjNqg_dw6k'
    'SFuiXENn5yp3qA1Rm2uyXRoci4flDkGFAdXMc2THZuyUgZNOeSvH22Y5HgT9pER2IdrBoz'
    'klIEP6BBXMM7DuM43t2NTkFcfIsq4TBaD8bogz0ekCOhunUyPYJJDAgsxg9VuiNY"},{"c'
    'rv":"P-256","d":"q3uxSMghyWt4sCdstYqU8hFgjGfR226KuKuR64aNekQ","kid":"e'
    'c-1","kty":"EC","x":"-NW1xOBDQ_2PRd3cZ27MoJb7LA-sNNzDoOuT_kHxhFk","y":'
    '"Vr4rTcd_qn0XrykozHOTHZ0Icm_AfDVZL4XEeXp0CY4","alg":"ES256"},{"crv":"E'
    'd25519","d":"5jko81WyJcGE5_-D68S5rEGgHL8pOk8CAUr-YvMDhrg","kid":"ed-1"'
    ',"kty":"OKP","x":"HonKp6SWvpVI1s1UwzSkjmxJz9BXVH6L70D7-onSTdQ"},{"crv"'
    ':"P-384","d":"Lf_EUE2Gn2-f0HSmx7T58M2BfHz25qoF3HMiNp3eGY2rlcsVHf2ohJeL'
    'ZYDXXAhz","kid":"dup","kty":"EC","x":"xxtZVxlP70ynuHTERZNMLjnyfa_NVOWu'
    'lAmOFhhH4fzYh-HsoA8dLA-N1viW3ZFH","y":"A3ZEdVZfJ3TxNnnpe9gvxmkGx8-yoTt'
    'XG9cC1N7_yPYjveppDykltdDPX6wo96Mq"},{"crv":"P-384","d":"ugdvT7xeJ8kgFb'
    'z6NwyKG-Dqpm7Nk-GtCnB5hRvFnZJMjXt1EVypvi5Vaf2QGpWg","kid":"dup","kty":'
    '"EC","x":"-mGtTsht7VTh6QBGLSWGCFdhNNw-6y8nTyezoSH6PsJmLcxWFtcdvMLVizZk'
    'wZKl","y":"hVx-oneBvHyuNHdoXmnnld57JdLpzD2gyHBMqwwlrW6077Qrrcpkys62NFz'
    'yk_Qb"}]')

# What fuzz_jws.c expects of a token verified with these keys.
NOW = 1300819300
ISS = "https://idp.example.com"
CLIENT = "client-1"
NONCE = "n-0S6_WzA2Mj"
ACCESS_TOKEN = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
OUT = "t/fuzz/corpus/jws"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def at_hash(alg):
    h = hashlib.sha512 if alg == "EdDSA" else getattr(hashlib,
                                                      "sha" + alg[2:])
    d = h(ACCESS_TOKEN.encode()).digest()
    return b64(d[: len(d) // 2])


def claims(alg, **changes):
    c = {"iss": ISS, "sub": "248289761001", "aud": CLIENT, "nonce": NONCE,
         "exp": NOW + 600, "iat": NOW - 10, "at_hash": at_hash(alg)}
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def sign(index, alg, payload, kid="same"):
    key = jwk.JWK(**KEYS[index])
    header = {"alg": alg, "typ": "JWT"}
    kid = KEYS[index]["kid"] if kid == "same" else kid
    if kid is not None:
        header["kid"] = kid
    s = jws.JWS(json.dumps(payload, separators=(",", ":")))
    s.add_signature(key, alg=alg, protected=json_encode(header))
    return s.serialize(compact=True)


def c_keys():
    pub = [{k: v for k, v in key.items()
            if k not in ("d", "p", "q", "dp", "dq", "qi")} for key in KEYS]
    text = json.dumps({"keys": pub}, separators=(",", ":"))
    for i in range(0, len(text), 68):
        print('    "%s"' % text[i:i + 68].replace('"', '\\"'))


SEEDS = {
    "kid-rs256-ok": lambda: sign(0, "RS256", claims("RS256")),
    "kid-ps256-azp": lambda: sign(1, "PS256", claims(
        "PS256", aud=[CLIENT, "other"], azp=CLIENT)),
    "kid-es256-ok": lambda: sign(2, "ES256", claims("ES256")),
    "kid-eddsa-ok": lambda: sign(3, "EdDSA", claims("EdDSA")),
    "kid-expired": lambda: sign(0, "RS512", claims("RS512",
                                                   exp=NOW - 3600)),
    "kid-future-iat": lambda: sign(2, "ES256", claims("ES256",
                                                      iat=NOW + 3600)),
    "kid-nonce-wrong": lambda: sign(3, "EdDSA", claims("EdDSA",
                                                       nonce="other")),
    "kid-at-hash-wrong": lambda: sign(1, "PS384", claims(
        "PS384", at_hash=at_hash("PS256"))),
    "kid-sub-missing": lambda: sign(2, "ES256", claims("ES256", sub=None)),
    "kid-dup": lambda: sign(4, "ES384", claims("ES384")),
    "kid-type-mismatch": lambda: sign(0, "RS256", claims("RS256"),
                                      kid="ec-1"),
    "kid-alg-not-allowed": lambda: sign(0, "PS256", claims("PS256")),
    "kid-none-ambiguous": lambda: sign(1, "RS256", claims("RS256"),
                                       kid=None),
    "kid-not-in-set": lambda: sign(3, "EdDSA", claims("EdDSA"), kid="ed-9"),
}


def main():
    if "--c-keys" in sys.argv:
        c_keys()
        return
    for name, make in SEEDS.items():
        with open(os.path.join(OUT, name), "w") as f:
            f.write(make())


main()
