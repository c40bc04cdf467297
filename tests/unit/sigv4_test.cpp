// SigV4 against AWS's published Signature Version 4 test suite
// (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html): each
// case's request, and the canonical request, string to sign and Authorization
// value AWS publishes for it, copied here as facts. Credentials AKIDEXAMPLE /
// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 2015-08-30T12:36:00Z, us-east-1,
// service "service".
//
// Two cases differ from the suite's newest files: AWS revised the
// post-x-www-form-urlencoded* canonical requests (Content-Length added,
// charset=utf-8) without revising their string-to-sign and Authorization, so
// those two use the request the published signatures were computed from (its
// canonical request hashes to the published string-to-sign line; the -parameters
// .authz even lists content-length in SignedHeaders next to a signature made
// without it, so its SignedHeaders are those of the signed request, as the
// AWS SDK for JavaScript's copy of the suite has them).

#include "aws/sigv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace sluice::aws {
namespace {

struct suite_case {
  const char* name;
  const char* method;
  const char* path;   // as in the suite's request line (not encoded)
  const char* query;  // as in the suite's request line
  std::vector<std::pair<std::string, std::string>> headers;  // including Host and X-Amz-Date
  const char* body;
  const char* creq;   // expected canonical request
  const char* sts;    // expected string to sign
  const char* authz;  // expected Authorization value
};

const std::vector<suite_case>& suite() {
  static const std::vector<suite_case> cases = {
      {"get-header-key-duplicate",
       "GET",
       "/",
       "",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "value2"},
        {"My-Header1", "value2"},
        {"My-Header1", "value1"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:"
       "20150830T123600Z\n\nhost;my-header1;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\ndc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;my-header1;x-amz-date, "
       "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order",
       "GET",
       "/",
       "",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "value4"},
        {"My-Header1", "value1"},
        {"My-Header1", "value3"},
        {"My-Header1", "value2"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:"
       "20150830T123600Z\n\nhost;my-header1;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;my-header1;x-amz-date, "
       "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim",
       "GET",
       "/",
       "",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "value1"},
        {"My-Header2", "\"a   b   c\""},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b "
       "c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\na726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
       "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-unreserved",
       "GET",
       "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example."
       "amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-vanilla",
       "GET",
       "/",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-empty-query-key",
       "GET",
       "/",
       "Param1=value1",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query",
       "GET",
       "/",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key",
       "GET",
       "/",
       "Param1=value2&Param1=Value1",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:"
       "20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/",
       "Param2=value2&Param1=value1",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:"
       "20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-value",
       "GET",
       "/",
       "Param1=value2&Param1=value1",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:"
       "20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nc968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {"get-vanilla-query-unreserved",
       "GET",
       "/",
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~"
       "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~"
       "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws."
       "com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nc30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query",
       "GET",
       "/",
       "ሴ=bar",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\neb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"post-header-key-case",
       "POST",
       "/",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-header-key-sort",
       "POST",
       "/",
       "",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "value1"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/"
       "\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\nhost;my-"
       "header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;my-header1;x-amz-date, "
       "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case",
       "POST",
       "/",
       "",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "VALUE1"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/"
       "\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\nhost;my-"
       "header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nd51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;my-header1;x-amz-date, "
       "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-vanilla",
       "POST",
       "/",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-empty-query-value",
       "POST",
       "/",
       "Param1=value1",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/"
       "\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-vanilla-query",
       "POST",
       "/",
       "Param1=value1",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/"
       "\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       "",
       {{"Content-Type", "application/x-www-form-urlencoded"},
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "Param1=value1",
       "POST\n/\n\ncontent-type:application/"
       "x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-"
       "type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date, "
       "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters",
       "POST",
       "/",
       "",
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"},
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "Param1=value1",
       "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; "
       "charset=utf8\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;"
       "x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date, "
       "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
      {"get-relative",
       "GET",
       "/example/..",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-relative-relative",
       "GET",
       "/example1/example2/../..",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash",
       "GET",
       "//",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash-dot-slash",
       "GET",
       "/./",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash-pointless-dot",
       "GET",
       "/./example",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
      {"get-slashes",
       "GET",
       "//example//",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/example/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\ncb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {"post-sts-header-after",
       "POST",
       "/",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-sts-header-before",
       "POST",
       "/",
       "",
       {{"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"X-Amz-Security-Token",
         "AQoDYXdzEPT//////////"
         "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUu"
         "wthAx7mSEI/qkPpKPi/"
         "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8Y"
         "QcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
         "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="}},
       "",
       "POST\n/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:"
       "AQoDYXdzEPT//////////"
       "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwt"
       "hAx7mSEI/qkPpKPi/"
       "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQc"
       "HNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
       "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/"
       "oLxBA==\n\nhost;x-amz-date;x-amz-security-"
       "token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\nc237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date;x-amz-security-token, "
       "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
      {"get-utf8",
       "GET",
       "/ሴ",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/"
       "%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-space",
       "GET",
       "/example space/",
       "",
       {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/example%20space/"
       "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
       "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
       "aws4_request\n63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
  };
  return cases;
}

constexpr const char* k_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::chrono::system_clock::time_point suite_time() {
  // 2015-08-30T12:36:00Z
  return std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
}

credentials suite_credentials() {
  return {"AKIDEXAMPLE", k_secret, "", std::nullopt};
}

signable_request to_request(const suite_case& c) {
  signable_request r;
  r.method = c.method;
  r.path = c.path;
  r.query = c.query;
  for (const auto& [name, value] : c.headers) {
    if (name == "Host") {
      r.host = value;
    } else {
      r.headers.emplace_back(name, value);
    }
  }
  r.payload = c.body;
  return r;
}

class sigv4_suite : public ::testing::TestWithParam<std::size_t> {};

TEST_P(sigv4_suite, canonical_request_string_to_sign_and_authorization) {
  const suite_case& c = suite()[GetParam()];
  SCOPED_TRACE(c.name);
  const signable_request req = to_request(c);
  const canonical_form cr = canonical_request(req, "service", hex_sha256(req.payload));
  EXPECT_EQ(cr.request, c.creq);
  const std::string scope = credential_scope("20150830", "us-east-1", "service");
  EXPECT_EQ(string_to_sign(amz_date(suite_time()), scope, cr.request), c.sts);
  EXPECT_EQ(authorization(req, suite_credentials(), "us-east-1", "service", suite_time()), c.authz);
}

INSTANTIATE_TEST_SUITE_P(aws, sigv4_suite, ::testing::Range<std::size_t>(0, suite().size()),
                         [](const auto& info) {
                           std::string n = suite()[info.param].name;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

TEST(sigv4, the_suite_has_every_case_family) {
  // The families the brief names, so a trimmed table is noticed.
  std::vector<std::string> names;
  for (const auto& c : suite()) names.emplace_back(c.name);
  for (const char* n : {"get-vanilla", "get-vanilla-query-order-key-case", "get-header-value-trim",
                        "get-unreserved", "get-utf8", "get-space", "post-x-www-form-urlencoded",
                        "post-header-key-sort", "get-relative-relative", "get-slashes",
                        "get-slash-dot-slash", "post-sts-header-before", "post-sts-header-after",
                        "get-vanilla-utf8-query", "get-header-key-duplicate"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
}

TEST(sigv4, amz_date_is_utc_to_the_second) {
  EXPECT_EQ(amz_date(suite_time() + std::chrono::milliseconds(999)), "20150830T123600Z");
}

TEST(sigv4, the_derived_key_matches_the_documented_example) {
  // AWS's documented derivation example (secret wJalr…EXAMPLEKEY, 20120215,
  // us-east-1, iam): kSigning = f4780e2d…5e1d.
  const signing_key_bytes k = signing_key(k_secret, "20120215", "us-east-1", "iam");
  std::string hex;
  for (unsigned char b : k) {
    static constexpr char digits[] = "0123456789abcdef";
    hex.push_back(digits[b >> 4]);
    hex.push_back(digits[b & 0xf]);
  }
  EXPECT_EQ(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(sigv4, the_signing_key_is_derived_once_per_day_region_and_service) {
  const std::size_t before = signing_keys_derived();
  for (int i = 0; i < 100; ++i) (void)signing_key("another-secret", "20260101", "eu-west-1", "sqs");
  EXPECT_EQ(signing_keys_derived(), before + 1);
  (void)signing_key("another-secret", "20260102", "eu-west-1", "sqs");
  (void)signing_key("another-secret", "20260102", "eu-west-1", "sns");
  (void)signing_key("rotated-secret", "20260102", "eu-west-1", "sns");
  EXPECT_EQ(signing_keys_derived(), before + 4);
}

TEST(sigv4, sign_v4_adds_date_payload_hash_and_token_and_signs_them) {
  signable_request req;
  req.method = "POST";
  req.host = "sqs.us-east-1.amazonaws.com";
  req.path = "/";
  req.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "AmazonSQS.ReceiveMessage"},
                 {"X-Amz-Date", "19990101T000000Z"}};  // stale: replaced, not signed twice
  req.payload = "{}";
  credentials creds = suite_credentials();
  creds.session_token = "token/with+chars=";
  const auto headers = sign_v4(req, creds, "us-east-1", "sqs", suite_time());
  ASSERT_EQ(headers.size(), 4U);
  EXPECT_EQ(headers[0].first, "Authorization");
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"X-Amz-Date", "20150830T123600Z"}));
  EXPECT_EQ(headers[2].first, "X-Amz-Content-Sha256");
  EXPECT_EQ(headers[2].second, hex_sha256("{}"));
  EXPECT_EQ(headers[3],
            (std::pair<std::string, std::string>{"X-Amz-Security-Token", creds.session_token}));
  EXPECT_NE(
      headers[0].second.find("Credential=AKIDEXAMPLE/20150830/us-east-1/sqs/aws4_request, "
                             "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;"
                             "x-amz-security-token;x-amz-target, Signature="),
      std::string::npos)
      << headers[0].second;

  // The same request sent with the added headers verifies to the same value.
  signable_request sent = req;
  sent.headers.resize(2);
  for (std::size_t i = 1; i < headers.size(); ++i) sent.headers.push_back(headers[i]);
  EXPECT_EQ(authorization(sent, creds, "us-east-1", "sqs", suite_time()), headers[0].second);

  creds.session_token.clear();
  const auto plain = sign_v4(req, creds, "us-east-1", "sqs", suite_time());
  ASSERT_EQ(plain.size(), 3U);
  EXPECT_EQ(plain[0].second.find("x-amz-security-token"), std::string::npos);
}

TEST(sigv4, canonical_uri_and_query_edge_cases) {
  // Sent once-encoded; non-S3 services sign it encoded again.
  EXPECT_EQ(canonical_uri("/a%20b/c", "sqs"), "/a%2520b/c");
  EXPECT_EQ(canonical_uri("/a%20b/./c/../d//", "sqs"), "/a%2520b/d/");
  EXPECT_EQ(canonical_uri("", "sns"), "/");
  EXPECT_EQ(canonical_uri("/..", "sns"), "/");
  EXPECT_EQ(canonical_uri("/a%20b/./c", "s3"), "/a%20b/./c");
  // Decoded then re-encoded: however the sender escaped it, one canonical form.
  EXPECT_EQ(canonical_query("b=%2a&a=*&a=%2A"), "a=%2A&a=%2A&b=%2A");
  // '+' is a literal plus in RFC 3986, not a space.
  EXPECT_EQ(canonical_query("k=a+b&k=a%20b"), "k=a%20b&k=a%2Bb");
  EXPECT_EQ(canonical_query("novalue&x=%zz&&y="), "novalue=&x=%25zz&y=");
  EXPECT_EQ(canonical_query("Action=ListQueues&Version=2012-11-05"),
            "Action=ListQueues&Version=2012-11-05");
}

}  // namespace
}  // namespace sluice::aws
