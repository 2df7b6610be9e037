#!/usr/bin/perl
# The reference for `scripts/bench-bounce`: Sisimai (Debian: libsisimai-perl) reads every .eml file
# of a directory, one Sisimai->make per file like `kurier bounce classify` reads one file at a time,
# and prints how many results it found.
use strict;
use warnings;
use Sisimai;

my $dir = shift or die "usage: $0 DIR\n";
opendir(my $dh, $dir) or die "$dir: $!\n";
my @files = sort grep { /\.eml$/ } readdir($dh);
my $results = 0;
for my $file (@files) {
    my $found = Sisimai->make("$dir/$file", 'delivered' => 1);
    $results += scalar(@$found) if $found;
}
print "$results\n";
