// libLibTorchSharp (built with GCC 13) references std::ios_base_library_init, GCC 13's hook that makes a module's
// iostreams initialization pull libstdc++'s in; Debian 12's GCC 12 libstdc++ initializes iostreams itself.
#include <ios>
namespace std { void ios_base_library_init() { static ios_base::Init init; } }
