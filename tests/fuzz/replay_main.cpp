// Replays a fuzz target without libFuzzer, so that every build (gcc, sanitizers) runs it as a
// test: each seed file given on the command line, then a bounded number of mutations of the seeds
// (bit flips, truncations, splices) and random inputs from a fixed seed. A crash or abort fails.
// Usage: <target> [--mutations N] seed-file...

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

std::string mutate(std::mt19937& rng, const std::vector<std::string>& seeds) {
  std::string s = seeds.empty() ? std::string() : seeds[rng() % seeds.size()];
  switch (rng() % 4) {
    case 0:
      for (unsigned k = 0, n = 1 + rng() % 4; k < n && !s.empty(); ++k) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
      break;
    case 1:
      if (!s.empty()) s.resize(rng() % s.size());
      break;
    case 2:
      if (!s.empty() && !seeds.empty()) {
        const std::string& other = seeds[rng() % seeds.size()];
        s = s.substr(0, rng() % s.size()) + other.substr(rng() % std::max<std::size_t>(other.size(), 1));
      }
      break;
    default:
      s.resize(rng() % 512);
      for (auto& c : s) c = static_cast<char>(rng());
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long mutations = 2000;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--mutations") == 0 && i + 1 < argc) {
      mutations = std::strtoul(argv[++i], nullptr, 10);
      continue;
    }
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 2;
    }
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  run({});
  for (const auto& s : seeds) run(s);
  std::mt19937 rng(20261123);
  for (unsigned long i = 0; i < mutations; ++i) run(mutate(rng, seeds));
  std::printf("replayed %zu seeds and %lu mutations\n", seeds.size(), mutations);
  return 0;
}
