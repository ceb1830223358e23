// The handlers against a real store and writer (no sockets): status codes, bodies, and what
// lands in the store.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "api/routes.hpp"
#include "core/random.hpp"
#include "core/rr.hpp"
#include "core/txt.hpp"
#include "store/credentials.hpp"
#include "store/snapshot.hpp"

namespace acmezone::api {
namespace {

const std::string kTxt1 = std::string(42, 'A') + "1";
const std::string kTxt2 = std::string(42, 'B') + "2";
const std::string kTxt3 = std::string(42, 'C') + "3";
constexpr std::string_view kPassword = "Pa55word-of-forty-characters_01234567890";
constexpr std::string_view kBcrypt = "$2b$04$20gsaNqb/vVtD0fp9DmSdOGva25epL/E6KY6M.72YsYXuQcDoM3/S";

class Handlers : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "acmezone-api-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        store::StoreOptions so;
        so.path = dir_ / "data";
        store_ = store::Store::open(so).value();
        core::ZoneSpec spec;
        spec.apex = core::Name::from_text("Acme.Example.test").value();
        spec.nameservers = {core::Name::from_text("ns1.example.net").value()};
        spec.hostmaster = core::Name::from_text("hostmaster.example.test").value();
        zone_ = std::make_shared<const core::Zone>(core::Zone::build(spec).value());
        writer_ = std::make_unique<store::Writer>(*store_, zone_);
        ApiOptions options;
        options.registration = RegistrationMode::open;
        ctx_ = std::make_unique<ApiContext>(*store_, *writer_, zone_, options);
    }
    void TearDown() override {
        ctx_.reset();
        writer_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    ApiReply post(std::string_view path, ApiRequest request) { return dispatch(*ctx_, "POST", path, request); }

    nlohmann::json register_account(std::string body = "") {
        ApiRequest r;
        r.body = std::move(body);
        r.peer = "127.0.0.1";
        const auto reply = post("/register", r);
        EXPECT_EQ(reply.status, 201) << reply.body;
        return nlohmann::json::parse(reply.body);
    }

    ApiRequest update_request(const nlohmann::json& account, const std::string& txt, std::string peer = "127.0.0.1") {
        ApiRequest r;
        r.api_user = account["username"].get<std::string>();
        r.api_key = account["password"].get<std::string>();
        r.peer = std::move(peer);
        r.body = nlohmann::json{{"SubDomain", account["subdomain"]}, {"Txt", txt}}.dump();
        return r;
    }

    std::vector<std::string> values(const std::string& label) {
        store::Snapshot snap(*store_);
        EXPECT_TRUE(snap.begin());
        const auto name = zone_->apex().prepend(label).value();
        std::vector<std::string> out;
        const auto wire = name.canonical_wire();
        for (const auto rr : snap.find({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()}, core::rrtype::TXT))
            out.push_back(core::txt_value_from_rdata({reinterpret_cast<const char*>(rr.rdata.data()), rr.rdata.size()}).value());
        return out;
    }

    std::filesystem::path dir_;
    std::unique_ptr<store::Store> store_;
    std::shared_ptr<const core::Zone> zone_;
    std::unique_ptr<store::Writer> writer_;
    std::unique_ptr<ApiContext> ctx_;
};

TEST_F(Handlers, RegisterReplyShape) {
    ApiRequest r;
    r.body = R"({"allowfrom":["[::1]/128","192.168.100.1/24"]})";
    const auto reply = post("/register", r);
    ASSERT_EQ(reply.status, 201);
    EXPECT_EQ(reply.content_type, "application/json");
    const std::regex shape(
        R"re(^\{"username":"([0-9a-f-]{36})","password":"([A-Za-z0-9_-]{40})","fulldomain":"([0-9a-f-]{36})\.Acme\.Example\.test","subdomain":"([0-9a-f-]{36})","allowfrom":\["::1/128","192\.168\.100\.1/24"\]\}$)re");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(reply.body, m, shape)) << reply.body;
    EXPECT_EQ(m[3], m[4]);
    EXPECT_NE(m[1], m[4]);  // username and subdomain are independent
    // Only a hash is stored.
    core::Credential c;
    ASSERT_TRUE(ctx_->credentials.find(m[1].str(), c).value());
    EXPECT_TRUE(c.secret_hash.starts_with("hmac-sha256$"));
    EXPECT_EQ(c.secret_hash.find(m[2].str()), std::string::npos);
    ASSERT_EQ(c.labels.size(), 1u);
    EXPECT_EQ(c.labels[0].name, m[4].str());
    EXPECT_EQ(c.labels[0].scheme, "uuid");
    EXPECT_EQ(c.allowfrom, (std::vector<std::string>{"::1/128", "192.168.100.1/24"}));

    const auto empty = post("/register", ApiRequest{});
    ASSERT_EQ(empty.status, 201);
    EXPECT_NE(empty.body.find(R"("allowfrom":[])"), std::string::npos);
}

TEST_F(Handlers, RegisterErrors) {
    ApiRequest r;
    r.body = "{";
    EXPECT_EQ(post("/register", r).body, R"({"error": "malformed_json_payload"})");
    r.body = R"({"allowfrom":["10.0.0.1"]})";
    auto reply = post("/register", r);
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(reply.body, R"({"error": "invalid_allowfrom_cidr"})");
    r.body = R"({"allowfrom":[""]})";
    EXPECT_EQ(post("/register", r).body, R"({"error": "invalid_allowfrom_cidr"})");

    ctx_->options.registration = RegistrationMode::off;
    reply = post("/register", ApiRequest{});
    EXPECT_EQ(reply.status, 404);
    EXPECT_EQ(reply.body, R"({"error": "registration_disabled"})");

    ctx_->options.registration = RegistrationMode::token;
    ctx_->options.admin_tokens = {{"ops", core::sha256_hex("tok")}};
    reply = post("/register", ApiRequest{});
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.body, R"({"error": "forbidden"})");
    ApiRequest with_token;
    with_token.authorization = "Bearer tok";
    EXPECT_EQ(post("/register", with_token).status, 201);
}

TEST_F(Handlers, UpdateKeepsTheNewestTwo) {
    const auto account = register_account();
    const std::string label = account["subdomain"];
    auto reply = post("/update", update_request(account, kTxt1));
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.body, "{\"txt\": \"" + kTxt1 + "\"}");
    ASSERT_EQ(post("/update", update_request(account, kTxt2)).status, 200);
    EXPECT_EQ(values(label), (std::vector<std::string>{kTxt1, kTxt2}));
    ASSERT_EQ(post("/update", update_request(account, kTxt3)).status, 200);
    EXPECT_EQ(values(label), (std::vector<std::string>{kTxt2, kTxt3}));
    // Posting a value again makes it the newest (acme-dns overwrites its oldest row with it).
    ASSERT_EQ(post("/update", update_request(account, kTxt2)).status, 200);
    ASSERT_EQ(post("/update", update_request(account, kTxt1)).status, 200);
    EXPECT_EQ(values(label), (std::vector<std::string>{kTxt2, kTxt1}));
}

TEST_F(Handlers, UpdateForbiddenCases) {
    const auto account = register_account();
    const auto other = register_account();
    const auto forbidden = [&](ApiRequest r, const char* why) {
        const auto reply = post("/update", std::move(r));
        EXPECT_EQ(reply.status, 401) << why;
        EXPECT_EQ(reply.body, R"({"error": "forbidden"})") << why;
    };
    auto r = update_request(account, kTxt1);
    r.api_user = "not-a-uuid";
    forbidden(r, "bad user");
    r = update_request(account, kTxt1);
    r.api_user.reset();
    forbidden(r, "no user");
    r = update_request(account, kTxt1);
    r.api_key = std::string(39, 'a');
    forbidden(r, "short key");
    r = update_request(account, kTxt1);
    r.api_key = std::string(40, 'a');
    forbidden(r, "wrong key");
    r = update_request(account, kTxt1);
    r.api_user = core::random_uuid_v4();
    forbidden(r, "unknown user");
    r = update_request(account, kTxt1);
    r.body = R"({"subdomain":")" + other["subdomain"].get<std::string>() + R"(","txt":")" + kTxt1 + "\"}";
    forbidden(r, "other account's subdomain");
    r = update_request(account, "bad");  // auth fails first: 401, not 400
    r.api_key = std::string(40, 'a');
    forbidden(r, "auth before validation");
    r = update_request(account, kTxt1);
    r.body = "{not json";
    forbidden(r, "malformed json");
    r = update_request(account, kTxt1);
    std::string upper = account["subdomain"];
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    r.body = R"({"subdomain":")" + upper + R"(","txt":")" + kTxt1 + "\"}";
    forbidden(r, "subdomain case differs (exact match, as acme-dns)");
    // The upper-case form of the username is the same user (uuid.Parse).
    r = update_request(account, kTxt1);
    std::string user = account["username"];
    for (auto& c : user) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    r.api_user = "{" + user + "}";
    EXPECT_EQ(post("/update", r).status, 200);
}

TEST_F(Handlers, UpdateValidationAfterAuth) {
    const auto account = register_account();
    auto reply = post("/update", update_request(account, "too-short"));
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(reply.body, R"({"error": "bad_txt"})");
    auto r = update_request(account, kTxt1);
    r.body = R"({"subdomain":")" + account["subdomain"].get<std::string>() + R"(","txt":43})";
    EXPECT_EQ(post("/update", r).body, R"({"error": "bad_txt"})");  // wrong type: decoding goes on
    EXPECT_EQ(post("/update", update_request(account, kTxt1 + "=")).body, R"({"error": "bad_txt"})");
    EXPECT_EQ(post("/update", update_request(account, kTxt1.substr(0, 42) + "+")).body, R"({"error": "bad_txt"})");

    // A hand-made label that breaks the subdomain rule (imported data): bad_subdomain.
    core::Credential c;
    c.username = core::random_uuid_v4();
    c.secret_hash = ctx_->hasher.hash(kPassword);
    c.labels = {core::Label{"under_score", "", ""}};
    ASSERT_TRUE(ctx_->credentials.insert(c));
    ApiRequest hand;
    hand.api_user = c.username;
    hand.api_key = std::string(kPassword);
    hand.peer = "127.0.0.1";
    hand.body = R"({"subdomain":"under_score","txt":")" + kTxt1 + "\"}";
    const auto bad = post("/update", hand);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.body, R"({"error": "bad_subdomain"})");
}

TEST_F(Handlers, AllowfromUsesThePeer) {
    const auto only_ten = register_account(R"({"allowfrom":["10.0.0.0/8"]})");
    auto r = update_request(only_ten, kTxt1, "127.0.0.1");
    r.forwarded = {"10.1.2.3"};  // spoofed: the peer is not a trusted proxy
    EXPECT_EQ(post("/update", r).status, 401);
    EXPECT_EQ(post("/update", update_request(only_ten, kTxt1, "10.9.9.9")).status, 200);
    EXPECT_EQ(post("/update", update_request(only_ten, kTxt1, "::ffff:10.9.9.9")).status, 200);

    ctx_->options.trusted_proxies = {core::parse_cidr("127.0.0.1/32").value()};
    r = update_request(only_ten, kTxt1, "127.0.0.1");
    r.forwarded = {"10.1.2.3"};
    EXPECT_EQ(post("/update", r).status, 200);
    r.forwarded = {"10.1.2.3, 192.0.2.1"};  // an allowed address left of the real client
    EXPECT_EQ(post("/update", r).status, 401);
}

TEST_F(Handlers, BcryptIsVerifiedThenRehashed) {
    core::Credential c;
    c.username = core::random_uuid_v4();
    c.secret_hash = std::string(kBcrypt);
    c.labels = {core::Label{core::random_uuid_v4(), "", "uuid"}};
    ASSERT_TRUE(ctx_->credentials.insert(c));
    ApiRequest r;
    r.api_user = c.username;
    r.api_key = std::string(kPassword);
    r.peer = "127.0.0.1";
    r.body = R"({"subdomain":")" + c.labels[0].name + R"(","txt":")" + kTxt1 + "\"}";
    ASSERT_EQ(post("/update", r).status, 200);
    core::Credential after;
    ASSERT_TRUE(ctx_->credentials.find(c.username, after).value());
    EXPECT_TRUE(after.secret_hash.starts_with("hmac-sha256$"));
    EXPECT_EQ(post("/update", r).status, 200);  // the new hash works
    r.api_key = std::string(40, 'x');
    EXPECT_EQ(post("/update", r).status, 401);
}

TEST_F(Handlers, HealthAndRouting) {
    auto reply = dispatch(*ctx_, "GET", "/health", ApiRequest{});
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, "");
    reply = dispatch(*ctx_, "GET", "/register", ApiRequest{});
    EXPECT_EQ(reply.status, 405);
    EXPECT_EQ(reply.body, R"({"error": "method_not_allowed"})");
    reply = dispatch(*ctx_, "POST", "/nothing", ApiRequest{});
    EXPECT_EQ(reply.status, 404);
    EXPECT_EQ(reply.body, R"({"error": "not_found"})");
    EXPECT_EQ(dispatch(*ctx_, "POST", "//register/", ApiRequest{}).status, 201);
}

}  // namespace
}  // namespace acmezone::api
